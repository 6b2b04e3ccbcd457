package org.raftexample.raft.quorum;

import java.util.HashMap;

/** An {@link AckedIndexer} over a plain map from voter id to acknowledged index, for tests. */
final class MapAckIndexer extends HashMap<Long, Long> implements AckedIndexer {
    private static final long serialVersionUID = 1L;

    @Override
    public long ackedIndex(long voterId) {
        Long idx = get(voterId);
        return idx == null ? NOT_FOUND : idx;
    }

    static MapAckIndexer of(long... idAndIndex) {
        MapAckIndexer m = new MapAckIndexer();
        for (int i = 0; i < idAndIndex.length; i += 2) {
            m.put(idAndIndex[i], idAndIndex[i + 1]);
        }
        return m;
    }
}
