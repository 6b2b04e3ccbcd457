package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FilePipelineTest {

    @TempDir
    Path dir;

    @Test
    void preparedFilesAreZeroFilledToTheSegmentSizeOneAtATime() throws IOException {
        try (FilePipeline p = new FilePipeline(dir, 8192)) {
            FilePipeline.Prepared a = p.take();
            assertEquals(8192, a.channel().size());
            assertTrue(a.path().getFileName().toString().endsWith(".wal.tmp"));
            Files.move(a.path(), dir.resolve("a"));
            a.channel().close();
            FilePipeline.Prepared b = p.take();
            assertFalse(a.path().equals(b.path()), "the next file does not reuse the name just handed out");
            b.channel().close();
        }
        // Nothing prepared is left behind once the pipeline is closed.
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    0,
                    s.filter(f -> f.getFileName().toString().endsWith(".tmp")).count());
        }
    }

    @Test
    void aWalMovingThroughManySegmentsLeavesNoTempFiles() throws IOException {
        Path walDir = dir.resolve("wal");
        try (WAL w = WAL.create(walDir, null, new WalOptions(4096))) {
            for (int i = 1; i <= 200; i++) {
                w.save(
                        org.raftexample.raftpb.HardState.newBuilder()
                                .setTerm(1)
                                .setCommit(i - 1)
                                .build(),
                        java.util.List.of(org.raftexample.raftpb.Entry.newBuilder()
                                .setIndex(i)
                                .setTerm(1)
                                .setData(com.google.protobuf.ByteString.copyFromUtf8("x".repeat(100)))
                                .build()));
            }
            assertTrue(w.segmentFileNames().size() > 3, "moved to new segments: " + w.segmentFileNames());
        }
        try (Stream<Path> s = Files.list(walDir)) {
            assertEquals(
                    0,
                    s.filter(f -> f.getFileName().toString().endsWith(".tmp")).count());
        }
        try (WAL w = WAL.open(walDir, WAL.marker(0, 0))) {
            assertEquals(200, w.readAll().entries().size());
        }
    }
}
