package org.raftexample.raft;

import org.raftexample.raftpb.HardState;

/**
 * The basic facts about a raft node: who it is, its hard and soft state, how far it applied,
 * and whether it is transferring leadership. Cheap to produce (no progress map).
 */
public record BasicStatus(long id, HardState hardState, SoftState softState, long applied, long leadTransferee) {

    static BasicStatus of(Raft r) {
        return new BasicStatus(r.id, r.hardState(), r.softState(), r.raftLog.applied, r.leadTransferee);
    }

    public long term() {
        return hardState.getTerm();
    }

    public long vote() {
        return hardState.getVote();
    }

    public long commit() {
        return hardState.getCommit();
    }

    public long lead() {
        return softState.lead();
    }

    public StateType raftState() {
        return softState.raftState();
    }
}
