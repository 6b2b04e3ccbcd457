package org.raftexample.transport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the transport: the Jetty handler serving {@code /raft} (pipeline), {@code
 * /raft/snapshot} and {@code /raft/stream/<type>/<from>}.
 *
 * <p>Every request is checked before its body is read (method, protocol version, cluster id, sender, target,
 * removed sender), then its body is read under a size limit and decoded. Nothing a peer sends can do more than
 * earn it a 4xx: failures are answered, logged at debug level and forgotten. Paths outside {@code /raft} are
 * left to other handlers, so the handler can share a server with an application.
 */
final class RaftHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(RaftHandler.class);
    /** Refused messages: one WARN per second at most, however many a peer sends. */
    private static final RateLimitedLog REFUSED = new RateLimitedLog(LOG, 1_000_000_000L);

    private final long localId;
    private final long clusterId;
    private final RaftReceiver raft;
    private final TransportLimits limits;
    private final LongFunction<RemotePeer> peers;
    private final PeerTrafficListener traffic;
    private final Duration bodyDeadline;

    /**
     * @param bodyDeadline how long a pipeline body may take to arrive in full: a sender dribbling it a byte at a
     *                     time (which resets the connection's idle timeout) holds a server thread no longer
     */
    RaftHandler(
            long localId,
            long clusterId,
            RaftReceiver raft,
            TransportLimits limits,
            LongFunction<RemotePeer> peers,
            Duration bodyDeadline,
            PeerTrafficListener traffic) {
        this.localId = localId;
        this.clusterId = clusterId;
        this.raft = raft;
        this.limits = limits;
        this.peers = peers;
        this.bodyDeadline = bodyDeadline;
        this.traffic = traffic;
    }

    /** A request that must be refused with this status and text. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        final int status;

        Refusal(int status, String text) {
            super(text, null, false, false);
            this.status = status;
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        try {
            if (path.equals(Protocol.RAFT_PATH)) {
                handlePipeline(request, response, callback);
            } else if (path.equals(Protocol.SNAPSHOT_PATH)) {
                handleSnapshot(request, response, callback);
            } else if (path.equals(Protocol.PROBING_PATH)) {
                requireMethod(request, HttpMethod.GET);
                reply(response, callback, HttpStatus.OK_200, "OK");
            } else if (path.startsWith(Protocol.STREAM_PREFIX)) {
                handleStream(request, response, callback, path.substring(Protocol.STREAM_PREFIX.length()));
            } else if (path.startsWith(Protocol.RAFT_PATH + "/")) {
                throw new Refusal(HttpStatus.NOT_FOUND_404, "unknown raft endpoint");
            } else {
                return false;
            }
        } catch (Refusal r) {
            LOG.debug("refused {} {}: {} {}", request.getMethod(), path, r.status, r.getMessage());
            if (r.status == HttpStatus.METHOD_NOT_ALLOWED_405) {
                response.getHeaders().put(HttpHeader.ALLOW, path.startsWith(Protocol.STREAM_PREFIX) ? "GET" : "POST");
            }
            // Most refusals come before the body is read; Jetty then closes the connection after the
            // answer, and a client that reused it for its next request would see it end with no reply.
            // Saying so lets the client open a new one (refusals are rare: the reconnect costs nothing).
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            reply(response, callback, r.status, r.getMessage());
        } catch (Throwable t) {
            // Anything else is a bug or a broken connection; the request fails, the node does not.
            LOG.warn("error serving {} {}: {}", request.getMethod(), path, t.toString());
            if (!response.isCommitted()) {
                reply(response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500, "internal error");
            } else {
                callback.failed(t);
            }
        }
        return true;
    }

    private void handlePipeline(Request request, Response response, Callback callback) throws Refusal {
        requireMethod(request, HttpMethod.POST);
        long from = checkHeaders(request);
        checkMember(from);
        byte[] body = readWithDeadline(request, limits.maxMessageBytes());
        Message m;
        try {
            m = Frames.decode(body);
        } catch (Frames.FrameException e) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "error unmarshalling raft message");
        }
        checkTarget(m);
        checkMember(m.getFrom());
        checkSanity(m, from, MessageSanity.Channel.MESSAGE);
        traffic.received(m.getFrom(), body.length);
        process(() -> raft.process(m));
        noContent(response, callback);
    }

    private void handleSnapshot(Request request, Response response, Callback callback) throws Refusal {
        requireMethod(request, HttpMethod.POST);
        long from = checkHeaders(request);
        checkMember(from);
        long declared = request.getLength();
        // Saturating: with no fixed cap (Long.MAX_VALUE) the sum would overflow and refuse everything.
        long maxBody = limits.maxSnapshotBytes() > Long.MAX_VALUE - 12L - limits.maxMessageBytes()
                ? Long.MAX_VALUE
                : 12L + limits.maxMessageBytes() + limits.maxSnapshotBytes();
        if (declared > maxBody) {
            throw new Refusal(HttpStatus.PAYLOAD_TOO_LARGE_413, "snapshot too large");
        }
        DataInputStream in = new DataInputStream(Content.Source.asInputStream(request));
        try {
            int headerSize = in.readInt();
            if (headerSize > limits.maxMessageBytes()) {
                throw new Refusal(HttpStatus.PAYLOAD_TOO_LARGE_413, "snapshot message too large");
            }
            if (headerSize <= 0) {
                throw new Refusal(HttpStatus.BAD_REQUEST_400, "bad snapshot message length");
            }
            byte[] headerBytes = new byte[headerSize];
            in.readFully(headerBytes);
            Message header;
            try {
                header = Frames.decode(headerBytes);
            } catch (Frames.FrameException e) {
                throw new Refusal(HttpStatus.BAD_REQUEST_400, "error unmarshalling raft message");
            }
            if (header.getType() != MessageType.MsgSnap) {
                throw new Refusal(HttpStatus.BAD_REQUEST_400, "wrong raft message type");
            }
            checkTarget(header);
            checkMember(header.getFrom());
            checkSanity(header, from, MessageSanity.Channel.SNAPSHOT);
            long dataSize = in.readLong();
            if (dataSize < 0) {
                throw new Refusal(HttpStatus.BAD_REQUEST_400, "bad snapshot data length");
            }
            if (dataSize > limits.maxSnapshotBytes()) {
                throw new Refusal(HttpStatus.PAYLOAD_TOO_LARGE_413, "snapshot too large");
            }
            if (declared >= 0 && declared != 12L + headerSize + dataSize) {
                throw new Refusal(HttpStatus.BAD_REQUEST_400, "body length does not match its frames");
            }
            BoundedInputStream data = new BoundedInputStream(in, dataSize);
            process(() -> raft.processSnapshot(header, data, dataSize));
            data.skipRest();
            traffic.received(header.getFrom(), 12L + headerSize + dataSize);
        } catch (EOFException e) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "snapshot body truncated");
        } catch (IOException e) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "error reading snapshot: " + e.getMessage());
        }
        noContent(response, callback);
    }

    private void handleStream(Request request, Response response, Callback callback, String rest) throws Refusal {
        requireMethod(request, HttpMethod.GET);
        int slash = rest.indexOf('/');
        StreamType type = slash < 0 ? null : StreamType.fromPath(rest.substring(0, slash));
        if (type == null) {
            throw new Refusal(HttpStatus.NOT_FOUND_404, "invalid path");
        }
        long from;
        try {
            from = Protocol.parseId(rest.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new Refusal(HttpStatus.NOT_FOUND_404, "invalid from");
        }
        long headerFrom = checkHeaders(request);
        if (headerFrom != from) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "path and " + Protocol.SERVER_FROM + " disagree");
        }
        RemotePeer peer = peers.apply(from);
        if (peer == null) {
            throw new Refusal(HttpStatus.NOT_FOUND_404, "error sender not found");
        }
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Protocol.CONTENT_TYPE_STREAM);
        response.getHeaders().put(Protocol.SERVER_VERSION, Protocol.VERSION);
        // The peer's stream writer now owns the response and completes the callback when the stream ends.
        peer.attachStream(type, response, callback);
    }

    private static void requireMethod(Request request, HttpMethod method) throws Refusal {
        if (!method.is(request.getMethod())) {
            throw new Refusal(HttpStatus.METHOD_NOT_ALLOWED_405, "method not allowed");
        }
    }

    /** The checks every request passes before its body is looked at; returns the sender's id. */
    private long checkHeaders(Request request) throws Refusal {
        var headers = request.getHeaders();
        if (!Protocol.compatible(headers.get(Protocol.SERVER_VERSION))) {
            throw new Refusal(
                    HttpStatus.PRECONDITION_FAILED_412,
                    "incompatible protocol version " + headers.get(Protocol.SERVER_VERSION));
        }
        Long cluster = parseHeaderId(headers.get(Protocol.CLUSTER_ID));
        if (cluster == null || cluster != clusterId) {
            throw new Refusal(HttpStatus.PRECONDITION_FAILED_412, "cluster ID mismatch");
        }
        Long from = parseHeaderId(headers.get(Protocol.SERVER_FROM));
        if (from == null) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "missing or bad " + Protocol.SERVER_FROM);
        }
        Long to = parseHeaderId(headers.get(Protocol.RAFT_TO));
        if (to == null) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "missing or bad " + Protocol.RAFT_TO);
        }
        if (to != localId) {
            throw new Refusal(HttpStatus.PRECONDITION_FAILED_412, "to field mismatch");
        }
        if (raft.isIdRemoved(from)) {
            throw new Refusal(HttpStatus.GONE_410, "removed member");
        }
        return from;
    }

    private void checkTarget(Message m) throws Refusal {
        if (m.getTo() != localId) {
            throw new Refusal(HttpStatus.PRECONDITION_FAILED_412, "message addressed to another member");
        }
    }

    /** Refuses with 400 a message no member of a real cluster would send (see {@link MessageSanity}). */
    private static void checkSanity(Message m, long from, MessageSanity.Channel channel) throws Refusal {
        var why = MessageSanity.check(m, channel);
        if (why.isPresent()) {
            REFUSED.warn("refused a {} from {}: {}", m.getType(), Protocol.formatId(from), why.get());
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "malformed raft message: " + why.get());
        }
    }

    /**
     * Refuses a message whose sender is not a member: a node that is not in this node's peer set (which follows
     * the cluster's configuration) could otherwise step a forged leader's MsgApp, term and commit index into raft.
     * Both the header's sender (checked before the body is read) and the message's own {@code From} must be
     * members.
     */
    private void checkMember(long from) throws Refusal {
        if (peers.apply(from) == null) {
            throw new Refusal(HttpStatus.NOT_FOUND_404, "error sender not found");
        }
    }

    private static Long parseHeaderId(String value) {
        try {
            return value == null ? null : Protocol.parseId(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** {@link #readLimited}, failing the body (so the blocked read ends with 400) if it is not in by the deadline. */
    private byte[] readWithDeadline(Request request, int max) throws Refusal {
        Scheduler.Task deadline = request.getComponents()
                .getScheduler()
                .schedule(
                        () -> request.fail(
                                new TimeoutException("body not received within " + bodyDeadline.toMillis() + " ms")),
                        bodyDeadline.toMillis(),
                        TimeUnit.MILLISECONDS);
        try {
            return readLimited(request, max);
        } finally {
            deadline.cancel();
        }
    }

    /** Reads the whole body, refusing with 413 past {@code max} bytes and with 400 if it ends early. */
    private static byte[] readLimited(Request request, int max) throws Refusal {
        long declared = request.getLength();
        if (declared > max) {
            throw new Refusal(HttpStatus.PAYLOAD_TOO_LARGE_413, "message too large");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            if (declared >= 0) {
                byte[] body = in.readNBytes((int) declared);
                if (body.length != declared) {
                    throw new Refusal(HttpStatus.BAD_REQUEST_400, "error reading raft message");
                }
                return body;
            }
            // No declared length (chunked): read one byte past the limit to tell "at the limit" from "over".
            byte[] body = in.readNBytes(max == Integer.MAX_VALUE ? max : max + 1);
            if (body.length > max) {
                throw new Refusal(HttpStatus.PAYLOAD_TOO_LARGE_413, "message too large");
            }
            return body;
        } catch (IOException e) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "error reading raft message");
        }
    }

    @FunctionalInterface
    private interface RaftCall {
        void run() throws Exception;
    }

    /** Runs a raft callback; a failure of the callback is the application's, answered with 500. */
    private static void process(RaftCall call) throws Refusal {
        try {
            call.run();
        } catch (BoundedInputStream.TruncatedException e) {
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "snapshot body truncated");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(HttpStatus.INTERNAL_SERVER_ERROR_500, "interrupted while processing raft message");
        } catch (InsufficientStorageException e) {
            LOG.warn("refused a snapshot: {}", e.getMessage());
            throw new Refusal(HttpStatus.INSUFFICIENT_STORAGE_507, "no room for the snapshot: " + e.getMessage());
        } catch (SnapshotRefusedException e) {
            LOG.warn("refused a snapshot: {}", e.getMessage());
            throw new Refusal(HttpStatus.BAD_REQUEST_400, "snapshot refused: " + e.getMessage());
        } catch (MessageDroppedException e) {
            // Not a failure of this node: the sender must learn the message was not taken (a
            // dropped MsgSnap answered 204 would be reported to the leader as delivered).
            LOG.debug("{}", e.getMessage());
            throw new Refusal(HttpStatus.SERVICE_UNAVAILABLE_503, "raft dropped the message: node busy");
        } catch (Exception e) {
            LOG.warn("raft failed to process a received message: {}", e.toString());
            throw new Refusal(HttpStatus.INTERNAL_SERVER_ERROR_500, "error processing raft message");
        }
    }

    private static void noContent(Response response, Callback callback) {
        response.setStatus(HttpStatus.NO_CONTENT_204);
        // An empty last write rather than callback.succeeded(): Jetty 12.1 can lose an answer completed
        // without a write from a thread other than the handling one (see the KV API's HttpKVApi.send).
        response.write(true, null, callback);
    }

    private static void reply(Response response, Callback callback, int status, String text) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        Content.Sink.write(response, true, text + "\n", callback);
    }
}
