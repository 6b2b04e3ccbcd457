package org.raftexample.kvstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.raftexample.raft.Status;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.server.PublishedStatus;
import org.raftexample.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operational endpoints on the key-value port, all under {@link #PREFIX}, which no key an
 * operator writes by accident starts with: health, status, members, metrics and version. Every
 * other path goes to the wrapped key-value handler untouched, so {@code /health} or
 * {@code /metrics} remain ordinary keys.
 *
 * <p>Answers are computed from the {@link NodeView} on a thread of Jetty's pool: raft's status is the
 * one the raft loop published, which never waits, but some answers read the disk (the WAL's size
 * lists its directory), which a stalled disk holds up, so no answer is computed on the thread that
 * called the handler (a selector or a request completer, which must not wait).
 */
final class OpsApi extends Handler.Wrapper {

    /** Paths starting with this are the operational endpoints, never keys. */
    static final String PREFIX = "/_raftexample/";

    static final String ALLOW = "GET, HEAD";
    private static final Logger LOG = LoggerFactory.getLogger(OpsApi.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final NodeView node;
    private final ServerMetrics metrics;
    private final String version;

    OpsApi(NodeView node, ServerMetrics metrics, String version, Handler keyValue) {
        super(keyValue);
        this.node = node;
        this.metrics = metrics;
        this.version = version;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        if (path == null || !path.startsWith(PREFIX)) {
            return super.handle(request, response, callback);
        }
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.getHeaders().put(HttpHeader.ALLOW, ALLOW);
            HttpKVApi.send(
                    response,
                    callback,
                    HttpStatus.METHOD_NOT_ALLOWED_405,
                    "Method not allowed: " + PREFIX + "* paths are read-only operational endpoints, not keys");
            return true;
        }
        // Some answers touch the disk (the WAL's size lists its directory), which a stalled disk holds
        // up: they are made on Jetty's pool, never where the handler was called (a selector thread, whose
        // other connections would wait, or a completer thread, whose answers would). Raft's status is the
        // one the raft loop published, which never waits for the loop.
        String endpoint = path.substring(PREFIX.length());
        try {
            request.getComponents().getExecutor().execute(() -> {
                try {
                    serve(endpoint, response, callback);
                } catch (RuntimeException e) {
                    LOG.warn("answering {} failed", path, e);
                    Response.writeError(request, response, callback, e);
                }
            });
        } catch (RejectedExecutionException e) {
            HttpKVApi.send(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, "the server is stopping");
        }
        return true;
    }

    private void serve(String endpoint, Response response, Callback callback) {
        switch (endpoint) {
            case "health" -> health(response, callback);
            case "status" -> json(response, callback, HttpStatus.OK_200, status());
            case "members" -> json(response, callback, HttpStatus.OK_200, members());
            case "version" -> json(response, callback, HttpStatus.OK_200, version());
            case "metrics" -> metrics(response, callback);
            default ->
                HttpKVApi.send(
                        response,
                        callback,
                        HttpStatus.NOT_FOUND_404,
                        "No such endpoint: want " + PREFIX + "{health,status,members,metrics,version}");
        }
    }

    private void health(Response response, Callback callback) {
        Health h = Health.of(node);
        byte[] body = write(g -> {
            g.writeStringField("health", Boolean.toString(h.healthy()));
            if (!h.healthy()) {
                g.writeStringField("reason", h.reason());
            }
        });
        json(response, callback, h.healthy() ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503, body);
    }

    private byte[] status() {
        PublishedStatus published = node.publishedStatus();
        Status st = published.status();
        long applied = node.appliedIndex(); // before the commit index, which is never below it
        long commit = node.committedIndex();
        return write(g -> {
            g.writeFieldName("id");
            g.writeNumber(Long.toUnsignedString(node.id()));
            g.writeStringField("clusterId", Long.toHexString(node.clusterId()));
            g.writeStringField("state", st.raftState().toString());
            g.writeFieldName("leader");
            g.writeNumber(Long.toUnsignedString(st.lead()));
            g.writeNumberField("term", st.term());
            g.writeNumberField("commit", commit);
            g.writeNumberField("raftStatusAgeMs", published.age().toMillis());
            g.writeNumberField("applied", applied);
            g.writeNumberField("snapshotIndex", node.snapshotIndex());
            g.writeNumberField("walBytes", node.walBytes());
            g.writeNumberField("keys", node.keyCount());
            g.writeStringField("version", version);
            if (!st.progress().isEmpty()) {
                g.writeObjectFieldStart("progress");
                for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
                    long id = e.getKey();
                    Progress pr = e.getValue();
                    g.writeObjectFieldStart(Long.toUnsignedString(id));
                    g.writeNumberField("match", pr.match());
                    g.writeNumberField("next", pr.next());
                    g.writeStringField("state", pr.state().toString());
                    g.writeBooleanField("learner", pr.isLearner());
                    g.writeBooleanField("recentActive", id == node.id() || pr.recentActive() || node.peerActive(id));
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
        });
    }

    private byte[] members() {
        TrackerConfig cfg = node.raftStatus().config();
        Set<Long> voters = new TreeSet<>(Long::compareUnsigned);
        voters.addAll(cfg.voters().incoming());
        voters.addAll(cfg.voters().outgoing());
        Set<Long> learners = new TreeSet<>(Long::compareUnsigned);
        learners.addAll(cfg.learners());
        learners.addAll(cfg.learnersNext());
        Map<Long, String> urls = node.peerUrls();
        return write(g -> {
            g.writeArrayFieldStart("members");
            for (Set<Long> group : java.util.List.of(voters, learners)) {
                for (long id : group) {
                    g.writeStartObject();
                    g.writeFieldName("id");
                    g.writeNumber(Long.toUnsignedString(id));
                    g.writeArrayFieldStart("peerURLs");
                    String url = urls.get(id);
                    if (url != null) {
                        g.writeString(url);
                    }
                    g.writeEndArray();
                    g.writeBooleanField("isLearner", group == learners);
                    g.writeBooleanField("active", id == node.id() || node.peerActive(id));
                    g.writeEndObject();
                }
            }
            g.writeEndArray();
            writeIds(g, "voters", voters);
            writeIds(g, "learners", learners);
        });
    }

    private byte[] version() {
        return write(g -> {
            g.writeStringField("raftexample", version);
            g.writeStringField("peerProtocol", Transport.PROTOCOL_VERSION);
        });
    }

    private void metrics(Response response, Callback callback) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
        try {
            metrics.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, metrics.contentType());
        response.write(true, ByteBuffer.wrap(out.toByteArray()), callback);
    }

    private static void writeIds(JsonGenerator g, String field, Set<Long> ids) throws IOException {
        g.writeArrayFieldStart(field);
        for (long id : ids) {
            g.writeNumber(Long.toUnsignedString(id));
        }
        g.writeEndArray();
    }

    private static void json(Response response, Callback callback, int status, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object holding what {@code fields} writes, followed by a newline (for curl). */
    private static byte[] write(Fields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }
}
