package org.raftexample.raft.confchange;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.raftexample.raft.datadriven.TestData;
import org.raftexample.raft.datadriven.TestdataDir;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChanges;

/**
 * Runs etcd's {@code confchange/testdata/*.txt} scripts (Go: confchange/datadriven_test.go).
 *
 * <p>Each file starts from an empty tracker (10 in-flight messages, no byte limit) and a last
 * index of 0 that grows by one per command. Commands: {@code simple} and
 * {@code enter-joint [autoleave=bool]} with input like {@code v1 l2 r3 u4}, and
 * {@code leave-joint}. The output is the new configuration and progress, or the error.
 */
class ConfChangeDataDrivenTest {

    @TestFactory
    Stream<DynamicTest> confChangeScripts() {
        return TestdataDir.scripts("confchange/testdata", ConfChangeDataDrivenTest::newHandler);
    }

    static Function<TestData, String> newHandler() {
        Changer c = new Changer(new ProgressTracker(10, 0), 0);
        return d -> {
            try {
                return run(c, d);
            } finally {
                c.setLastIndex(c.lastIndex() + 1);
            }
        };
    }

    private static String run(Changer c, TestData d) {
        List<ConfChangeSingle> ccs;
        try {
            ccs = ConfChanges.fromString(d.input);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        // A malformed argument is a broken script, not command output: let it fail the test.
        boolean autoLeave = d.cmd.equals("enter-joint") && !d.cmdArgs.isEmpty() && d.scanBool("autoleave");
        ConfigAndProgress r;
        try {
            switch (d.cmd) {
                case "simple" -> r = c.simple(ccs);
                case "enter-joint" -> r = c.enterJoint(autoLeave, ccs);
                case "leave-joint" -> {
                    if (!ccs.isEmpty()) {
                        throw new IllegalArgumentException("this command takes no input");
                    }
                    r = c.leaveJoint();
                }
                default -> {
                    return "unknown command";
                }
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            return e.getMessage() + "\n";
        }
        c.tracker().setConfig(r.config());
        c.tracker().setProgress(r.progress());
        return c.tracker().config() + "\n" + c.tracker().progress();
    }
}
