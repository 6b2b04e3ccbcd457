package org.raftexample.raft.datadriven;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;

/**
 * Locates etcd's raft test scripts, which are read in place and never copied into the project.
 *
 * <p>The folder comes from the {@code raft.testdata} system property (the build passes
 * {@code ${project.basedir}/../../shared/etcd-raft-testdata}; override it with
 * {@code -Draft.testdata=/path}). Without it the data-driven tests are skipped, not failed, so a
 * clone without the scripts still builds.
 */
public final class TestdataDir {
    public static final String PROPERTY = "raft.testdata";
    static final String DEFAULT = "../../shared/etcd-raft-testdata";

    private TestdataDir() {
    }

    /** The configured folder, or empty when it does not exist. */
    public static Optional<Path> root() {
        Path p = configured();
        return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
    }

    /** The folder the property points at (or the default), whether it exists or not. */
    public static Path configured() {
        String v = System.getProperty(PROPERTY);
        return Path.of(v == null || v.isBlank() ? DEFAULT : v).toAbsolutePath().normalize();
    }

    /**
     * The sub-folder (e.g. {@code "quorum/testdata"}) of the scripts, or aborts the calling test
     * with a message saying where they were looked for.
     */
    public static Path require(String subdir) {
        Path dir = configured().resolve(subdir);
        if (!Files.isDirectory(dir)) {
            Assumptions.abort("etcd raft testdata not found at " + dir + ": skipping (set -D" + PROPERTY + "=<dir>)");
        }
        return dir;
    }
}
