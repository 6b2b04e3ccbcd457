package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad requests and bad command lines get clear answers, and the node keeps serving. */
class BadInputIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(90)
    void badRequestsAreAnsweredAndTheNodeKeepsServing() throws Exception {
        try (NodeProcesses c = new NodeProcesses(1, "--max-value-bytes", "1024").named("bad-requests")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k", "v", WAIT);

            HttpResponse<String> patch = c.request(1, "PATCH", "/k", "x");
            assertEquals(405, patch.statusCode());
            assertEquals(
                    "PUT, GET, POST, DELETE",
                    patch.headers().firstValue("Allow").orElse(""));
            assertEquals(400, c.request(1, "POST", "/abc", "http://127.0.0.1:1").statusCode());
            assertEquals(400, c.request(1, "POST", "/0", "http://127.0.0.1:1").statusCode());
            assertEquals(400, c.request(1, "POST", "/5", "not a url").statusCode());
            assertEquals(400, c.request(1, "POST", "/5", "https://127.0.0.1:5").statusCode());
            assertEquals(400, c.request(1, "DELETE", "/x", null).statusCode());
            assertEquals(413, c.put(1, "/big", "x".repeat(1025)));
            assertEquals(204, c.put(1, "/fits", "x".repeat(1024)));

            // Garbage on the peer port: raw bytes, then well-formed HTTP with a nonsense raft message.
            int peerPort = c.addr(1).peerPort();
            try (Socket s = new Socket("127.0.0.1", peerPort)) {
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {0, 1, 2, 3, (byte) 0xff, '\r', '\n', '\r', '\n'});
                out.flush();
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                in.readNBytes(1); // an answer or a closed connection, not a hang
            }
            HttpResponse<String> junk = c.http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + peerPort + "/raft"))
                            .POST(HttpRequest.BodyPublishers.ofString("definitely not protobuf"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(junk.statusCode() >= 400, "junk answered " + junk.statusCode());

            assertTrue(c.process(1).isAlive());
            assertEquals(204, c.put(1, "/k", "still here"));
            assertEquals("200 still here", c.get(1, "/k"));
            assertEquals("404 Failed to GET\n", c.get(1, "/big"));
        }
    }

    @Test
    @Timeout(90)
    void aCorruptWalStopsTheNodeWithExitCodeOne() throws Exception {
        try (NodeProcesses c = new NodeProcesses(1).named("corrupt-wal")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k0", "v0", WAIT);
            for (int i = 1; i < 50; i++) {
                assertEquals(204, c.put(1, "/k" + i, "value-" + i));
            }
            assertEquals(143, c.stop(1));
            Path wal;
            try (var files = java.nio.file.Files.list(c.dataDir().resolve("raftexample-1"))) {
                wal = files.filter(p -> p.toString().endsWith(".wal"))
                        .findFirst()
                        .orElseThrow();
            }
            // Damage the payload of a record in the middle of the log, leaving every length word
            // intact: not a torn tail (which the WAL repairs) but corruption, which it must refuse.
            byte[] bytes = java.nio.file.Files.readAllBytes(wal);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            List<int[]> frames = new ArrayList<>(); // {offset of payload, payload length}
            for (int off = 0; off + 8 <= bytes.length; ) {
                long word = buf.getLong(off);
                if (word == 0) {
                    break;
                }
                int len = (int) (word & 0x00FF_FFFF_FFFF_FFFFL);
                int pad = word < 0 ? (int) ((word >>> 56) & 0x7) : 0;
                frames.add(new int[] {off + 8, len});
                off += 8 + len + pad;
            }
            assertTrue(frames.size() > 20, "frames: " + frames.size());
            int[] victim = frames.get(frames.size() / 2);
            for (int i = 0; i < victim[1]; i++) {
                bytes[victim[0] + i] ^= (byte) 0x5a;
            }
            java.nio.file.Files.write(wal, bytes);

            c.start(1, 1);
            assertEquals(1, c.awaitExit(1, WAIT), "a corrupt WAL is fatal: exit 1, never half-alive");
        }
    }

    @Test
    @Timeout(60)
    void badCommandLinesExitWithCodeTwoAndOneLine() throws Exception {
        String cluster = "http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3";
        assertEquals(2, run(List.of("--bogus")).exit());
        Result outside = run(List.of("--id", "4", "--cluster", cluster));
        assertEquals(2, outside.exit());
        assertEquals(1, outside.stderr().strip().lines().count(), outside.stderr());
        assertTrue(outside.stderr().contains("outside the cluster"), outside.stderr());
        assertEquals(2, run(List.of("--port", "notaport")).exit());

        Result help = run(List.of("--help"));
        assertEquals(0, help.exit());
        assertTrue(help.stdout().contains("--cluster"), help.stdout());
        assertFalse(help.stdout().isBlank());
    }

    private record Result(int exit, String stdout, String stderr) {}

    private static Result run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-jar",
                Path.of(System.getProperty("raftexample.jar", "target/raftexample.jar"))
                        .toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            return new Result(p.exitValue(), out, err);
        } finally {
            p.destroyForcibly();
        }
    }
}
