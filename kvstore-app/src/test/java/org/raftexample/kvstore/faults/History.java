package org.raftexample.kvstore.faults;

import java.util.ArrayList;
import java.util.List;

/**
 * The operations of one scenario, appended by many client threads at once (hence the lock on every
 * method), read by the checker once the clients are done.
 */
final class History {

    private final List<Op> ops = new ArrayList<>();

    synchronized void add(Op op) {
        ops.add(op);
    }

    synchronized List<Op> ops() {
        return List.copyOf(ops);
    }
}
