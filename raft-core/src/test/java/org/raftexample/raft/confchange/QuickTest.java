package org.raftexample.raft.confchange;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeType;

/**
 * Go: confchange/quick_test.go. Applying random changes one at a time must give the same
 * configuration and progress as applying them through a joint configuration (entered with
 * and without auto-leave, then left). Seeded, 1000 cases.
 */
class QuickTest {
    private static final long SEED = 0xfeed_c0deL;
    private static final int CASES = 1000;

    @Test
    void simpleAndJointChangesArriveAtTheSameResult() {
        Random rnd = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            List<ConfChangeSingle> setup = initialChanges(rnd);
            List<ConfChangeSingle> ccs = confChanges(rnd);
            String context = "case " + i + " (seed " + SEED + "): setup " + Changer.describe(setup) + ", changes "
                    + Changer.describe(ccs);

            Changer viaSimple = newChanger(setup);
            runWithSimple(viaSimple, ccs);
            Changer viaJoint = newChanger(setup);
            runWithJoint(viaJoint, ccs);

            assertEquals(viaSimple.tracker().config(), viaJoint.tracker().config(), context);
            assertEquals(
                    ProgressDump.of(viaSimple.tracker().progress()),
                    ProgressDump.of(viaJoint.tracker().progress()),
                    context);
            assertEquals(viaSimple.lastIndex(), viaJoint.lastIndex(), context);
        }
    }

    private static Changer newChanger(List<ConfChangeSingle> setup) {
        Changer c = new Changer(new ProgressTracker(10, 0), 10);
        runWithSimple(c, setup);
        return c;
    }

    private static void install(Changer c, ConfigAndProgress r) {
        c.tracker().setConfig(r.config());
        c.tracker().setProgress(r.progress());
    }

    private static void runWithSimple(Changer c, List<ConfChangeSingle> ccs) {
        for (ConfChangeSingle cc : ccs) {
            install(c, c.simple(cc));
        }
    }

    private static void runWithJoint(Changer c, List<ConfChangeSingle> ccs) {
        ConfigAndProgress joint = c.enterJoint(false, ccs);
        // Entering with auto-leave must differ only in the flag.
        ConfigAndProgress jointAuto = c.enterJoint(true, ccs);
        jointAuto.config().setAutoLeave(false);
        assertEquals(joint.config(), jointAuto.config());
        assertEquals(ProgressDump.of(joint.progress()), ProgressDump.of(jointAuto.progress()));

        install(c, joint);
        ConfigAndProgress left2 = c.leaveJoint();
        install(c, joint);
        ConfigAndProgress left = c.leaveJoint();
        assertEquals(left.config(), left2.config());
        assertEquals(ProgressDump.of(left.progress()), ProgressDump.of(left2.progress()));
        install(c, left);
    }

    /** 1 to 9 changes of any type on ids 2..10 (never 1, which stays a voter throughout). */
    private static List<ConfChangeSingle> confChanges(Random rnd) {
        ConfChangeType[] types = ConfChangeType.values();
        int n = 1 + rnd.nextInt(9);
        List<ConfChangeSingle> ccs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = 1 + (1 + rnd.nextInt(9));
            ConfChangeType type = types[rnd.nextInt(types.length)];
            ccs.add(ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build());
        }
        return ccs;
    }

    /** Adds voter 1, then 1 to 5 more voters with ids in 1..5. */
    private static List<ConfChangeSingle> initialChanges(Random rnd) {
        List<ConfChangeSingle> ccs = new ArrayList<>();
        ccs.add(ConfChangeSingle.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(1)
                .build());
        int n = 1 + rnd.nextInt(5);
        for (int i = 0; i < n; i++) {
            long id = 1 + rnd.nextInt(5);
            ccs.add(ConfChangeSingle.newBuilder()
                    .setType(ConfChangeType.ConfChangeAddNode)
                    .setNodeId(id)
                    .build());
        }
        return ccs;
    }
}
