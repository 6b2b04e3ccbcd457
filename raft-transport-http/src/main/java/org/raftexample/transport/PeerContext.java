package org.raftexample.transport;

import org.eclipse.jetty.client.HttpClient;

/** What every peer of one transport shares: identities, the HTTP client, the raft callback, the limits and the traffic listener. */
record PeerContext(
        long localId,
        long clusterId,
        RaftReceiver raft,
        TransportLimits limits,
        TransportTimeouts timeouts,
        HttpClient client,
        ErrorQueue errors,
        String threadPrefix,
        PeerTrafficListener traffic) {}
