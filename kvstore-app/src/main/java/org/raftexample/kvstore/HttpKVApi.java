package org.raftexample.kvstore;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.raftexample.server.Failures;
import org.raftexample.server.Overloaded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * raftexample's key-value HTTP API as a Jetty core handler.
 *
 * <p>The key is the raw request path, leading {@code /} included, as the original takes it; the query
 * string is not part of the key. Every answer that needs raft is asynchronous: the handler returns
 * at once and the response is written when the future completes or times out.
 *
 * <p>The handler never blocks (bodies are read on demand, raft is only handed requests), so it is
 * declared non-blocking: Jetty runs it on the thread that parsed the request instead of dispatching
 * every request to another thread. Responses to requests that waited for raft are written on the
 * request registry's completer threads.
 */
final class HttpKVApi extends Handler.Abstract.NonBlocking {

    static final String ALLOW = "PUT, GET, POST, DELETE";
    /**
     * Header on every failed PUT, POST and DELETE: {@value #NOT_APPLIED} when the write surely did not
     * take effect (refused before it was proposed: safe to retry as it is), {@value #UNKNOWN} when it
     * was proposed and may still take effect (a timeout, a leader change in flight: read before
     * retrying, or make the write idempotent).
     */
    static final String OUTCOME = "Raftexample-Outcome";

    static final String NOT_APPLIED = "not-applied";
    static final String UNKNOWN = "unknown";
    // A peer URL longer than this is not a URL anyone means; reading stops there.
    private static final int MAX_URL_BYTES = 2048;
    // Unread request bodies up to this size are drained to keep the connection; larger ones close it.
    private static final long DRAIN_LIMIT = 8L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(HttpKVApi.class);

    private final KVService service;
    private final int maxValueBytes;
    private final Duration timeout;
    private final String peerScheme;
    private final AdmissionGate proposals;
    private final AdmissionGate reads;

    /** An API for a plain-http cluster with the default request limits. */
    HttpKVApi(KVService service, int maxValueBytes, Duration timeout) {
        this(
                service,
                maxValueBytes,
                timeout,
                "http",
                new AdmissionGate(
                        "proposals", Options.DEFAULT_MAX_PENDING_PROPOSALS, Options.DEFAULT_MAX_PENDING_PROPOSAL_BYTES),
                AdmissionGate.ofRequests("reads", Options.DEFAULT_MAX_PENDING_READS));
    }

    /**
     * @param peerScheme the scheme a POSTed peer URL must have (the cluster's: https with peer TLS)
     * @param proposals  bounds PUT, POST and DELETE requests in flight and the body bytes they hold
     * @param reads      bounds linearizable GETs waiting for their read index
     */
    HttpKVApi(
            KVService service,
            int maxValueBytes,
            Duration timeout,
            String peerScheme,
            AdmissionGate proposals,
            AdmissionGate reads) {
        this.service = service;
        this.maxValueBytes = maxValueBytes;
        this.timeout = timeout;
        this.peerScheme = peerScheme;
        this.proposals = proposals;
        this.reads = reads;
    }

    /** The API of one node, with the limits and peer scheme of its options. */
    static HttpKVApi of(KVService service, Options opts) {
        return new HttpKVApi(
                service,
                opts.maxValueBytes(),
                opts.requestTimeout(),
                opts.peerScheme(),
                new AdmissionGate("proposals", opts.maxPendingProposals(), opts.maxPendingProposalBytes()),
                AdmissionGate.ofRequests("reads", opts.maxPendingReads()));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String key = request.getHttpURI().getPath();
        if (key == null || key.isEmpty()) {
            key = "/";
        }
        switch (request.getMethod()) {
            case "PUT" -> put(key, request, response, callback);
            case "GET" -> get(key, request, response, callback);
            case "POST" -> addNode(key, request, response, callback);
            case "DELETE" -> removeNode(key, request, response, callback);
            default -> {
                response.getHeaders().put(HttpHeader.ALLOW, ALLOW);
                sendWithoutReading(
                        request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "Method not allowed");
            }
        }
        return true;
    }

    private void put(String key, Request request, Response response, Callback callback) {
        long declared = request.getLength();
        if (declared > maxValueBytes) {
            sendWithoutReading(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413, tooLarge());
            return;
        }
        // Body bytes are charged as they arrive, so a client dribbling a large body holds almost nothing;
        // one byte more than the value limit is read, so an oversized chunked body is still recognised.
        AdmissionGate.Ticket ticket = proposals.tryEnter();
        if (ticket == null) {
            tooMany(request, response, callback, "PUT", proposals);
            return;
        }
        Callback done = releasing(callback, ticket);
        BodyReader.read(request, maxValueBytes + 1, ticket::charge).whenComplete((body, readError) -> {
            if (Failures.unwrap(readError) instanceof Overloaded) {
                tooMany(request, response, done, "PUT", proposals);
                return;
            }
            if (readError != null) {
                send(response, done, HttpStatus.BAD_REQUEST_400, "Failed on PUT: cannot read the body");
                return;
            }
            if (body.length > maxValueBytes) {
                // Reading stopped at the limit: the rest of the body is still on the connection.
                sendWithoutReading(request, response, done, HttpStatus.PAYLOAD_TOO_LARGE_413, tooLarge());
                return;
            }
            answerWhenDone(request, service.put(key, body), response, done, HttpStatus.NO_CONTENT_204, "PUT");
        });
    }

    private void get(String key, Request request, Response response, Callback callback) {
        // Most GETs carry no query: parse it only when there is one.
        boolean serializable = request.getHttpURI().getQuery() != null
                && "true"
                        .equalsIgnoreCase(
                                Request.extractQueryParameters(request).getValue("serializable"));
        if (serializable) {
            answerLookup(key, response, callback);
            return;
        }
        AdmissionGate.Ticket ticket = reads.tryEnter();
        if (ticket == null) {
            tooMany(request, response, callback, "GET", reads);
            return;
        }
        Callback done = releasing(callback, ticket);
        CompletableFuture<Void> barrier = service.readBarrier();
        cancelOnFailure(request, barrier);
        barrier.whenComplete((v, e) -> {
            if (e != null) {
                sendUnavailable(response, done, "GET", e);
                return;
            }
            answerLookup(key, response, done);
        });
    }

    private void answerLookup(String key, Response response, Callback callback) {
        Optional<byte[]> value = service.lookup(key);
        if (value.isEmpty()) {
            send(response, callback, HttpStatus.NOT_FOUND_404, "Failed to GET");
            return;
        }
        byte[] v = value.get();
        giveBack(callback);
        response.setStatus(HttpStatus.OK_200);
        // The bytes as stored; the type only tells a client whether they read as text (as Go sniffs).
        response.getHeaders()
                .put(HttpHeader.CONTENT_TYPE, isUtf8(v) ? "text/plain; charset=utf-8" : "application/octet-stream");
        response.write(true, ByteBuffer.wrap(v).asReadOnlyBuffer(), callback);
    }

    private void addNode(String key, Request request, Response response, Callback callback) {
        long id = parseNodeId(key);
        if (id == 0) {
            sendWithoutReading(
                    request,
                    response,
                    callback,
                    HttpStatus.BAD_REQUEST_400,
                    "Failed on POST: want POST /<node id>, id > 0");
            return;
        }
        AdmissionGate.Ticket ticket = proposals.tryEnter();
        if (ticket == null) {
            tooMany(request, response, callback, "POST", proposals);
            return;
        }
        Callback done = releasing(callback, ticket);
        BodyReader.read(request, MAX_URL_BYTES, ticket::charge).whenComplete((body, readError) -> {
            if (Failures.unwrap(readError) instanceof Overloaded) {
                tooMany(request, response, done, "POST", proposals);
                return;
            }
            URI url = readError == null ? parseUrl(new String(body, StandardCharsets.UTF_8).trim()) : null;
            if (url == null) {
                send(
                        response,
                        done,
                        HttpStatus.BAD_REQUEST_400,
                        "Failed on POST: the body must be the new node's peer URL, " + peerScheme + "://host:port");
                return;
            }
            answerWhenDone(
                    request,
                    onPool(request, () -> service.addNode(id, url)),
                    response,
                    done,
                    HttpStatus.NO_CONTENT_204,
                    "POST");
        });
    }

    private void removeNode(String key, Request request, Response response, Callback callback) {
        long id = parseNodeId(key);
        if (id == 0) {
            sendWithoutReading(
                    request,
                    response,
                    callback,
                    HttpStatus.BAD_REQUEST_400,
                    "Failed on DELETE: want DELETE /<node id>, id > 0");
            return;
        }
        AdmissionGate.Ticket ticket = proposals.tryEnter();
        if (ticket == null) {
            tooMany(request, response, callback, "DELETE", proposals);
            return;
        }
        answerWhenDone(
                request,
                onPool(request, () -> service.removeNode(id)),
                response,
                releasing(callback, ticket),
                HttpStatus.NO_CONTENT_204,
                "DELETE");
    }

    /** 429 at once, without reading the body, with a hint to come back in a second. */
    private static void tooMany(
            Request request, Response response, Callback callback, String what, AdmissionGate gate) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        sendWithoutReading(
                request,
                response,
                callback,
                HttpStatus.TOO_MANY_REQUESTS_429,
                "Failed on " + what + ": " + gate.refusal());
    }

    /**
     * The request's callback, giving its place in the gate back as its answer is about to be written
     * ({@link #giveBack}), or else once it completes or fails: a client that has its answer finds its
     * place free for the next request.
     */
    private static Callback releasing(Callback callback, AdmissionGate.Ticket ticket) {
        return new Releasing(callback, ticket);
    }

    private static final class Releasing extends Callback.Nested {
        private final AdmissionGate.Ticket ticket;

        Releasing(Callback callback, AdmissionGate.Ticket ticket) {
            super(callback);
            this.ticket = ticket;
        }

        @Override
        public void succeeded() {
            ticket.release();
            super.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            ticket.release();
            super.failed(x);
        }
    }

    /** Gives a request's place in its gate back before its answer goes out (a release is idempotent). */
    private static void giveBack(Callback callback) {
        if (callback instanceof Releasing r) {
            r.ticket.release();
        }
    }

    private void answerWhenDone(
            Request request,
            CompletableFuture<Void> op,
            Response response,
            Callback callback,
            int status,
            String what) {
        cancelOnFailure(request, op);
        op.whenComplete((v, e) -> {
            if (e != null) {
                sendUnavailable(response, callback, what, e);
            } else {
                send(response, callback, status, null);
            }
        });
    }

    /**
     * Runs {@code call} on Jetty's pool and returns its outcome. A membership change is rare and does
     * more than a key's request before it is proposed (the checks of the configuration, the peer
     * directory), so it does not run where the handler was called: a selector thread, whose other
     * connections would wait, or a completer thread, whose answers would. Cancelling the returned future
     * cancels the operation's, as a client that goes away must.
     */
    private static CompletableFuture<Void> onPool(
            Request request, java.util.function.Supplier<CompletableFuture<Void>> call) {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> op =
                new java.util.concurrent.atomic.AtomicReference<>();
        outcome.whenComplete((v, e) -> {
            CompletableFuture<Void> started = op.get();
            if (outcome.isCancelled() && started != null) {
                started.cancel(false);
            }
        });
        try {
            request.getComponents().getExecutor().execute(() -> {
                if (outcome.isDone()) {
                    return; // the client went away before the change was asked for
                }
                CompletableFuture<Void> started;
                try {
                    started = call.get();
                } catch (RuntimeException e) {
                    outcome.completeExceptionally(e);
                    return;
                }
                op.set(started);
                if (outcome.isCancelled()) {
                    started.cancel(false);
                }
                started.whenComplete((v, e) -> {
                    if (e != null) {
                        outcome.completeExceptionally(e);
                    } else {
                        outcome.complete(v);
                    }
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            outcome.completeExceptionally(new ServiceUnavailable("the server is stopping", true));
        }
        return outcome;
    }

    /**
     * A client that goes away (the connection fails) gives up its request: the registry forgets it and
     * raft withdraws a proposal it has not taken yet. Deadlines come from the registry, not from here.
     */
    private static void cancelOnFailure(Request request, CompletableFuture<?> op) {
        request.addFailureListener(t -> op.cancel(false));
    }

    // The operation itself may still take effect after a timeout; the caller only learns it did not
    // in time, which is why the answer is 503 and never a success.
    private void sendUnavailable(Response response, Callback callback, String what, Throwable e) {
        Throwable cause = Failures.unwrap(e);
        if (isWrite(response)
                && !(cause instanceof Overloaded
                        || cause instanceof RequestRefused
                        || cause instanceof ServiceUnavailable su && su.notApplied())) {
            response.getHeaders().put(OUTCOME, UNKNOWN);
        }
        if (cause instanceof Overloaded) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            send(response, callback, HttpStatus.TOO_MANY_REQUESTS_429, "Failed on " + what + ": " + cause.getMessage());
            return;
        }
        if (cause instanceof RequestRefused refused) {
            // Wrong as asked (e.g. removing a node that is not a member): a retry would not help.
            send(response, callback, refused.status(), "Failed on " + what + ": " + refused.getMessage());
            return;
        }
        String reason;
        if (cause instanceof TimeoutException) {
            reason = service.unavailableReason()
                    .map(r -> r + ", after " + timeout.toMillis() + " ms")
                    .orElse("no leader or no quorum within " + timeout.toMillis() + " ms");
        } else {
            reason = String.valueOf(cause.getMessage());
        }
        LOG.debug("{} answered 503: {}", what, reason);
        send(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, "Failed on " + what + ": " + reason);
    }

    private static boolean isWrite(Response response) {
        String m = response.getRequest().getMethod();
        return !"GET".equals(m) && !"HEAD".equals(m);
    }

    /** Whether a value is well-formed UTF-8. */
    static boolean isUtf8(byte[] value) {
        int i = 0;
        while (i < value.length && value[i] >= 0) {
            i++; // ASCII, the common case, needs no decoder
        }
        if (i == value.length) {
            return true;
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private String tooLarge() {
        return "Failed on PUT: value larger than " + maxValueBytes + " bytes";
    }

    /** The node id in {@code /<id>}, or 0 when it is not a positive unsigned 64-bit number. */
    static long parseNodeId(String path) {
        String s = path.startsWith("/") ? path.substring(1) : path;
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return 0;
        }
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private URI parseUrl(String s) {
        try {
            return OptionsParser.parsePeerUrl(s, "the request body", peerScheme);
        } catch (UsageException e) {
            return null;
        }
    }

    /**
     * Answers before the request body was read. A body left on the connection would otherwise be
     * taken for the next request, so the connection is closed after the answer, and the client is
     * told so (Go's server does the same).
     */
    private static void sendWithoutReading(
            Request request, Response response, Callback callback, int status, String message) {
        if (request.getLength() == 0) {
            send(response, callback, status, message);
            return;
        }
        // Drain what is left of the body so the connection can carry the next request; past a bound
        // (or on a read error) give up and close it instead, telling the client so.
        if (request.getLength() > DRAIN_LIMIT) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            send(response, callback, status, message);
            return;
        }
        BodyReader.discard(request, DRAIN_LIMIT).whenComplete((whole, e) -> {
            if (e != null || !whole) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            send(response, callback, status, message);
        });
    }

    /** Writes a status with a one-line plain-text body (as Go's http.Error does), or no body. */
    static void send(Response response, Callback callback, int status, String message) {
        giveBack(callback);
        response.setStatus(status);
        if (status >= 400 && isWrite(response) && !response.getHeaders().contains(OUTCOME)) {
            // Every failure of a write but those marked unknown (sendUnavailable) happens before anything
            // was proposed: the write surely did not and will not take effect, a retry is safe.
            response.getHeaders().put(OUTCOME, NOT_APPLIED);
        }
        if (message == null) {
            // An empty last write, not callback.succeeded(): Jetty 12.1 can lose the answer and hang the
            // connection when the callback is completed without a write from a thread other than the one
            // handling the request, as the completer threads do (HttpKVApiTest
            // everyWriteCompletedFromAnotherThreadIsAnsweredOnAKeptAliveConnection; the symptom of
            // jetty/jetty.project#14745, completeStream run twice).
            response.write(true, null, callback);
            return;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        Content.Sink.write(response, true, message + "\n", callback);
    }
}
