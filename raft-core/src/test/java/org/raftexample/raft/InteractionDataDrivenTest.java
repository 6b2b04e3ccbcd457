package org.raftexample.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.datadriven.DataDriven;
import org.raftexample.raft.datadriven.TestdataDir;
import org.raftexample.raft.rafttest.InteractionCommands;
import org.raftexample.raft.rafttest.InteractionEnv;
import org.raftexample.raft.rafttest.InteractionOpts;

/**
 * Runs every interaction script of etcd's raft ({@code <testdata root>/testdata/*.txt}) against
 * this port through the {@link InteractionEnv} harness, one dynamic test per script, requiring
 * byte-identical output.
 *
 * <p>{@code -Draft.script=NAME} (file name without {@code .txt}, comma-separated for several) runs
 * only the named scripts.
 */
class InteractionDataDrivenTest {
    static final String SCRIPT_PROPERTY = "raft.script";
    static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

    @TestFactory
    @Timeout(120)
    Stream<DynamicTest> interactionScripts() {
        Optional<Path> root = TestdataDir.root();
        if (root.isEmpty()) {
            // A skipped test (rather than an aborted factory, which surefire does not count) so the
            // reason shows up in the build summary.
            Path missing = TestdataDir.configured().resolve("testdata");
            return Stream.of(DynamicTest.dynamicTest("testdata", () -> TestdataDir.missing(missing)));
        }
        Path dir = root.get().resolve("testdata");
        List<String> only = selectedScripts();
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : DataDriven.txtFilesUnder(dir)) {
            String name = dir.relativize(file).toString().replaceFirst("\\.txt$", "");
            if (!only.isEmpty() && !only.contains(name)) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(name, file.toUri(), () -> {
                InteractionCommands commands = new InteractionCommands(newEnv());
                // A raft bug could make stabilize loop forever; bound every script.
                Assertions.assertTimeoutPreemptively(SCRIPT_TIMEOUT, () -> DataDriven.runTest(file, commands::handle));
            }));
        }
        if (!only.isEmpty() && tests.size() != only.size()) {
            throw new IllegalArgumentException(
                    "-D" + SCRIPT_PROPERTY + "=" + String.join(",", only) + " names a script that is not in " + dir);
        }
        return tests.stream();
    }

    /** A fresh environment per script; the randomized election timeout is raft's private state. */
    static InteractionEnv newEnv() {
        return new InteractionEnv(
                new InteractionOpts(null, (rn, timeout) -> rn.raft.randomizedElectionTimeout = timeout));
    }

    private static List<String> selectedScripts() {
        String v = System.getProperty(SCRIPT_PROPERTY);
        List<String> names = new ArrayList<>();
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    names.add(s.trim().replaceFirst("\\.txt$", ""));
                }
            }
        }
        return names;
    }
}
