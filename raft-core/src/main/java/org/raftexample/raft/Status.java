package org.raftexample.raft;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.raftpb.HardState;

/**
 * A snapshot of a raft node's view of its group: the {@link BasicStatus}, the active
 * configuration and, on the leader only, a copy of every member's progress (empty elsewhere).
 * {@link #toString()} is the JSON etcd's {@code Status.MarshalJSON} produces.
 */
public record Status(BasicStatus basicStatus, TrackerConfig config, Map<Long, Progress> progress) {

    static Status of(Raft r) {
        BasicStatus basic = BasicStatus.of(r);
        Map<Long, Progress> progress = new TreeMap<>(Long::compareUnsigned);
        if (basic.raftState() == StateType.StateLeader) {
            r.trk.visit((id, pr) -> progress.put(id, pr.deepCopy()));
        }
        return new Status(basic, r.trk.config().clone(), Collections.unmodifiableMap(progress));
    }

    /**
     * This node's id.
     *
     * @return the id
     */
    public long id() {
        return basicStatus.id();
    }

    /**
     * The term, vote and commit index.
     *
     * @return the hard state
     */
    public HardState hardState() {
        return basicStatus.hardState();
    }

    /**
     * The leader and this node's role.
     *
     * @return the soft state
     */
    public SoftState softState() {
        return basicStatus.softState();
    }

    /**
     * The current term.
     *
     * @return the term
     */
    public long term() {
        return basicStatus.term();
    }

    /**
     * The node voted for in the current term, or 0.
     *
     * @return the voted-for id
     */
    public long vote() {
        return basicStatus.vote();
    }

    /**
     * The highest index known to be committed.
     *
     * @return the commit index
     */
    public long commit() {
        return basicStatus.commit();
    }

    /**
     * The leader this node knows of, or 0.
     *
     * @return the leader's id
     */
    public long lead() {
        return basicStatus.lead();
    }

    /**
     * The role this node plays.
     *
     * @return the raft state
     */
    public StateType raftState() {
        return basicStatus.raftState();
    }

    /**
     * The highest index applied to the state machine.
     *
     * @return the applied index
     */
    public long applied() {
        return basicStatus.applied();
    }

    /**
     * The member leadership is being transferred to, or 0.
     *
     * @return the transferee's id
     */
    public long leadTransferee() {
        return basicStatus.leadTransferee();
    }

    /**
     * The status as JSON, field for field as etcd marshals it (progress sorted by id).
     *
     * @return the JSON text
     */
    public String toJson() {
        StringBuilder j = new StringBuilder();
        j.append(String.format(
                "{\"id\":\"%x\",\"term\":%d,\"vote\":\"%x\",\"commit\":%d,\"lead\":\"%x\",\"raftState\":%s,\"applied\":%d,\"progress\":{",
                id(),
                term(),
                vote(),
                commit(),
                lead(),
                GoFormat.quote(raftState().toString()),
                applied()));
        if (progress.isEmpty()) {
            j.append("},");
        } else {
            boolean first = true;
            for (Map.Entry<Long, Progress> e : progress.entrySet()) {
                if (!first) {
                    j.append(',');
                }
                first = false;
                Progress v = e.getValue();
                j.append(String.format(
                        "\"%x\":{\"match\":%d,\"next\":%d,\"state\":%s}",
                        e.getKey(),
                        v.match(),
                        v.next(),
                        GoFormat.quote(v.state().toString())));
            }
            j.append("},");
        }
        j.append(String.format("\"leadtransferee\":\"%x\"}", leadTransferee()));
        return j.toString();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
