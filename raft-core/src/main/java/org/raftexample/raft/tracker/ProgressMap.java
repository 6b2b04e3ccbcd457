package org.raftexample.raft.tracker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.raftexample.raft.quorum.MajorityConfig;

/** The progress of every tracked peer by id; prints one peer per line in id order, as Go does. */
public final class ProgressMap extends HashMap<Long, Progress> {
    private static final long serialVersionUID = 1L;

    /** An empty map. */
    public ProgressMap() {}

    /**
     * A map holding the same entries.
     *
     * @param m the progress by id
     */
    public ProgressMap(Map<Long, Progress> m) {
        super(m);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        List<Long> ids = new MajorityConfig(keySet()).slice();
        for (long id : ids) {
            sb.append(Long.toUnsignedString(id)).append(": ").append(get(id)).append('\n');
        }
        return sb.toString();
    }
}
