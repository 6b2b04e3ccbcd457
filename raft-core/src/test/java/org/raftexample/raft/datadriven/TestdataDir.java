package org.raftexample.raft.datadriven;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

/**
 * Locates etcd's raft test scripts, which are read in place and never copied into the project.
 *
 * <p>The folder comes from the {@code raft.testdata} system property (the build passes
 * {@code ${project.basedir}/../../shared/etcd-raft-testdata}; override it with
 * {@code -Draft.testdata=/path}), which may also be a checkout of etcd-io/raft: the layout
 * ({@code testdata/}, {@code confchange/testdata/}, {@code quorum/testdata/}) is the same. Without
 * it the data-driven tests are skipped, not failed, so a clone without the scripts still builds,
 * unless {@code -Draft.testdata.required=true} (which {@code .ci/run} sets): then they fail, so
 * that the proof cannot silently disappear from CI.
 */
public final class TestdataDir {
    public static final String PROPERTY = "raft.testdata";
    public static final String REQUIRED_PROPERTY = "raft.testdata.required";
    static final String DEFAULT = "../../shared/etcd-raft-testdata";

    private TestdataDir() {}

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
            missing(dir);
        }
        return dir;
    }

    /** Fails when the scripts are required, else aborts (skips) the calling test. */
    public static void missing(Path dir) {
        if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
            throw new AssertionError("etcd raft testdata not found at " + dir + ", and -D" + REQUIRED_PROPERTY
                    + "=true: the data-driven proof must run (set -D" + PROPERTY + "=<dir>)");
        }
        Assumptions.abort(notFound(dir));
    }

    private static String notFound(Path dir) {
        return "etcd raft testdata not found at " + dir + ": skipping (set -D" + PROPERTY + "=<dir>)";
    }

    /**
     * One dynamic test per script in the sub-folder (e.g. {@code "quorum/testdata"}) of the
     * scripts; without that folder, a single skipped test whose reason says where the scripts
     * were looked for (an aborted factory would not show up in the build summary at all).
     */
    public static Stream<DynamicTest> scripts(String subdir, Supplier<Function<TestData, String>> handlerPerFile) {
        Path dir = configured().resolve(subdir);
        if (!Files.isDirectory(dir)) {
            return Stream.of(DynamicTest.dynamicTest(subdir, () -> missing(dir)));
        }
        return DataDriven.dynamicTests(dir, handlerPerFile);
    }
}
