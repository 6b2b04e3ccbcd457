package org.raftexample.kvstore.faults;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which host (1..capacity) each node id holds. An id gets the lowest free host the first time it is
 * named and keeps it until {@link #release}; a released id never gets a host again (ids are not
 * reused). Used by the scenario thread only, through its {@link Network}.
 */
final class Hosts {

    private final int capacity;
    private final Map<Long, Integer> held = new TreeMap<>();
    private final Set<Long> released = new HashSet<>();

    Hosts(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** Whether {@code id} was released (its URL must lead nowhere). */
    boolean released(long id) {
        return released.contains(id);
    }

    /** The host of {@code id}, giving it the lowest free one if it has none yet. */
    int of(long id) {
        Integer h = held.get(id);
        if (h != null) {
            return h;
        }
        if (released.contains(id)) {
            throw new IllegalStateException("node " + id + " was released; ids are not reused");
        }
        for (int candidate = 1; candidate <= capacity; candidate++) {
            if (!held.containsValue(candidate)) {
                held.put(id, candidate);
                return candidate;
            }
        }
        throw new IllegalStateException(
                "no free host for node " + id + " (" + capacity + " hosts held by " + held.keySet() + ")");
    }

    void release(long id) {
        held.remove(id);
        released.add(id);
    }

    /** The ids holding a host, in order. */
    List<Long> nodes() {
        return new ArrayList<>(held.keySet());
    }
}
