package org.raftexample.raft.confchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.ConfChanges;

/** Changer behaviour the data-driven scripts do not reach: broken inputs and the tracker left untouched. */
class ChangerTest {

    @Test
    void refusesToWorkOnAConfigWhoseMembersAreNotTracked() {
        ProgressTracker t = new ProgressTracker(10, 0);
        t.config().voters().incoming().add(1L);
        Changer c = new Changer(t, 0);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> c.simple(ConfChanges.fromString("v2")));
        assertEquals("no progress for 1", e.getMessage());
    }

    @Test
    void refusesLearnersThatAreAlsoVoters() {
        ProgressTracker t = new ProgressTracker(10, 0);
        Changer c = new Changer(t, 0);
        ConfigAndProgress r = c.simple(ConfChanges.fromString("v1"));
        r.config().learners().add(1L);
        t.setConfig(r.config());
        t.setProgress(r.progress());
        IllegalStateException e = assertThrows(IllegalStateException.class, c::leaveJoint);
        assertEquals("1 is in Learners and Voters[0]", e.getMessage());
    }

    @Test
    void computingAChangeDoesNotModifyTheTracker() {
        ProgressTracker t = new ProgressTracker(10, 0);
        Changer c = new Changer(t, 5);
        ConfigAndProgress r = c.simple(ConfChanges.fromString("v1 l2"));
        assertEquals("voters=()", t.config().toString());
        assertEquals(0, t.progress().size());
        t.setConfig(r.config());
        t.setProgress(r.progress());

        ConfigAndProgress joint = c.enterJoint(true, ConfChanges.fromString("v2 r1 v3"));
        assertEquals("voters=(2 3)&&(1) autoleave", joint.config().toString());
        assertEquals("voters=(1) learners=(2)", t.config().toString());
        assertEquals(
                "1: StateProbe match=0 next=5\n2: StateProbe match=0 next=5 learner\n",
                t.progress().toString());
    }

    @Test
    void describeNamesEachChange() {
        assertEquals(
                "ConfChangeAddNode(1) ConfChangeAddLearnerNode(2) ConfChangeRemoveNode(3) ConfChangeUpdateNode(4)",
                Changer.describe(ConfChanges.fromString("v1 l2 r3 u4")));
        assertEquals("", Changer.describe(List.of()));
    }
}
