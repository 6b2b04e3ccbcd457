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

    /**
     * The current term (from the hard state).
     *
     * @return the term
     */
    public long term() {
        return hardState.getTerm();
    }

    /**
     * The node this node voted for in the current term, or 0.
     *
     * @return the voted-for id
     */
    public long vote() {
        return hardState.getVote();
    }

    /**
     * The highest log index known to be committed.
     *
     * @return the commit index
     */
    public long commit() {
        return hardState.getCommit();
    }

    /**
     * The leader this node knows of, or 0 if none.
     *
     * @return the leader's id
     */
    public long lead() {
        return softState.lead();
    }

    /**
     * The role this node plays: follower, pre-candidate, candidate or leader.
     *
     * @return the raft state
     */
    public StateType raftState() {
        return softState.raftState();
    }
}
