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
            r.trk.visit((id, pr) -> {
                Progress copy = pr.shallowCopy();
                copy.setInflights(pr.inflights().clone());
                progress.put(id, copy);
            });
        }
        return new Status(basic, r.trk.config().clone(), Collections.unmodifiableMap(progress));
    }

    public long id() {
        return basicStatus.id();
    }

    public HardState hardState() {
        return basicStatus.hardState();
    }

    public SoftState softState() {
        return basicStatus.softState();
    }

    public long term() {
        return basicStatus.term();
    }

    public long vote() {
        return basicStatus.vote();
    }

    public long commit() {
        return basicStatus.commit();
    }

    public long lead() {
        return basicStatus.lead();
    }

    public StateType raftState() {
        return basicStatus.raftState();
    }

    public long applied() {
        return basicStatus.applied();
    }

    public long leadTransferee() {
        return basicStatus.leadTransferee();
    }

    /** The status as JSON, field for field as etcd marshals it (progress sorted by id). */
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
