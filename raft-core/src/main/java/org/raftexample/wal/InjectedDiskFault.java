package org.raftexample.wal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TEST ONLY: a seam through which the fault tests make a real node's disk fail where they cannot
 * mount a failing filesystem (not root). Off unless the JVM is started with
 * {@code -Draftexample.test.disk-fault-file=PATH}, which no user-facing flag sets; then, while the
 * file PATH exists, its first word makes the WAL and the snapshotter fail as a sick disk would:
 * {@code enospc} is a full disk, failing every write that needs new space (a snapshot file, a new
 * WAL segment being preallocated) with "No space left on device", while appends into the
 * preallocated segment still succeed, as on a real full filesystem; {@code eio} fails every fsync
 * of a WAL segment or snapshot file with "Input/output error". Deleting the file heals the disk.
 * Without the property the checks are one read of a final field that is null.
 *
 * <p>Called by whichever thread writes or syncs (the raft loop, the snapshot writer); it keeps no
 * state besides the immutable path.
 */
public final class InjectedDiskFault {

    /** The system property naming the trigger file. */
    public static final String PROPERTY = "raftexample.test.disk-fault-file";

    private static final Path TRIGGER = trigger();

    private InjectedDiskFault() {}

    private static Path trigger() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    /**
     * Before a snapshot file is written or a new WAL segment is allocated.
     *
     * @throws IOException "No space left on device" while the trigger file says {@code enospc}
     */
    public static void beforeAllocate() throws IOException {
        if (TRIGGER != null && "enospc".equals(mode())) {
            throw new IOException("No space left on device (injected through " + PROPERTY + ")");
        }
    }

    /**
     * Before a WAL segment or a snapshot file is synced.
     *
     * @throws IOException "Input/output error" while the trigger file says {@code eio}
     */
    public static void beforeSync() throws IOException {
        if (TRIGGER != null && "eio".equals(mode())) {
            throw new IOException("Input/output error (injected through " + PROPERTY + ")");
        }
    }

    private static String mode() {
        try {
            String text = Files.readString(TRIGGER, StandardCharsets.UTF_8).strip();
            int space = text.indexOf(' ');
            return space < 0 ? text : text.substring(0, space);
        } catch (IOException e) {
            return ""; // no trigger file: the disk is healthy
        }
    }
}
