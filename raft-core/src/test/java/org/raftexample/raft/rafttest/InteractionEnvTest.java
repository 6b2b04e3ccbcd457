package org.raftexample.raft.rafttest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.RaftPanicException;
import org.raftexample.raft.datadriven.CmdArg;
import org.raftexample.raft.datadriven.TestData;

/** Checks the harness itself, independently of etcd's scripts. */
class InteractionEnvTest {
    private final InteractionEnv env = new InteractionEnv(null);
    private final InteractionCommands commands = new InteractionCommands(env);

    private String run(String cmd, String... args) {
        List<CmdArg> cmdArgs = new ArrayList<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            cmdArgs.add(
                    eq < 0 ? new CmdArg(a, List.of()) : new CmdArg(a.substring(0, eq), List.of(a.substring(eq + 1))));
        }
        return commands.handle(new TestData("test:1", cmd, cmdArgs, "", ""));
    }

    @Test
    void loggerWritesLevelPrefixedLinesAtOrAboveItsLevel() {
        RedirectLogger log = new RedirectLogger();
        log.setLevel(1);
        log.debug("hidden %d", 1);
        log.info("shown %d", 2);
        log.warning("already terminated\n");
        assertEquals("INFO shown 2\nWARN already terminated\n", log.toString());
    }

    @Test
    void loggerPanicLogsAtFatalAndThrows() {
        RedirectLogger log = new RedirectLogger();
        RaftPanicException e = assertThrows(RaftPanicException.class, () -> log.panic("bad %s", "state"));
        assertEquals("bad state", e.getMessage());
        assertEquals("FATAL bad state\n", log.toString());
    }

    @Test
    void nestedOutputIsIndentedLineByLine() {
        env.output.write("head\n");
        env.withIndent(() -> env.output.write("a\nb"));
        assertEquals("head\n  a\n  b\n", env.output.toString());
    }

    @Test
    void unknownCommandIsReportedInTheOutput() {
        assertEquals("unknown command", run("no-such-command"));
    }

    @Test
    void badLogLevelIsReportedEvenWhenQuiet() {
        assertEquals("ok", run("log-level", "none"));
        assertEquals("log levels must be either of [DEBUG INFO WARN ERROR FATAL NONE]", run("log-level", "loud"));
    }

    @Test
    void quietLevelSilencesHarnessOutput() {
        run("log-level", "none");
        assertEquals("ok", run("add-nodes", "1", "voters=1", "index=2"));
        run("log-level", "info");
        assertEquals("1: StateFollower (Voter) Term:0 Lead:0\n", run("raft-state"));
    }

    @Test
    void storageThreadsWithoutWorkSaySo() {
        run("log-level", "none");
        run("add-nodes", "2", "voters=1", "index=2");
        run("log-level", "info");
        assertEquals("no append work to perform", run("process-append-thread", "1"));
        assertEquals(
                "> 1 processing apply thread\n  no apply work to perform\n"
                        + "> 2 processing apply thread\n  no apply work to perform\n",
                run("process-apply-thread", "1", "2"));
    }

    @Test
    void deliveringWithNothingInFlightSaysNoMessages() {
        assertEquals("no messages\n", run("deliver-msgs", "1"));
    }

    @Test
    void bootstrapNeedsAnIndexAboveOne() {
        assertEquals("index must be specified as > 1 due to bootstrap", run("add-nodes", "1", "voters=1", "index=1"));
    }

    @Test
    void singleNodeElectsItselfAndCommitsAProposal() {
        run("log-level", "none");
        run("add-nodes", "1", "voters=1", "index=2");
        run("campaign", "1");
        run("stabilize");
        run("propose", "1", "foo");
        run("stabilize");
        run("log-level", "info");
        assertEquals("1/3 EntryNormal \"\"\n1/4 EntryNormal \"foo\"\n", run("raft-log", "1"));
        assertEquals("foo", env.nodes.get(0).lastSnapshot().getData().toStringUtf8());
    }
}
