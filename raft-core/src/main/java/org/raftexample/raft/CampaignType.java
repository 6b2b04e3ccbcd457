package org.raftexample.raft;

import com.google.protobuf.ByteString;

/** Why a node starts an election; the transfer kind travels in the vote request's context. */
enum CampaignType {
    /** First phase of an election when pre-vote is enabled. */
    CampaignPreElection,
    /** A regular, timeout-driven election (or the second phase after a won pre-vote). */
    CampaignElection,
    /** An election forced by a leadership transfer; it bypasses the receivers' leader lease. */
    CampaignTransfer;

    // etcd's constants have these names as their string values, so name() is the context's text.
    private final ByteString bytes = ByteString.copyFromUtf8(name());

    /** The bytes put in a vote request's context to mark this kind of campaign. */
    ByteString asContext() {
        return bytes;
    }
}
