package org.raftexample.kvstore.faults;

/**
 * One client operation of a history: what was asked, of which node, when it was invoked and when it
 * completed (monotonic nanoseconds), and what came of it.
 *
 * @param client the client (worker) that issued it; -1 for the checker's own final reads
 * @param kind PUT or GET
 * @param key the key
 * @param value for a PUT the value written; for a GET the value read, null when the key was absent
 * @param serializable a GET with {@code ?serializable=true} (a local read, allowed to be stale)
 * @param node the node asked
 * @param incarnation how many times that node had been started when it was asked (a restart starts
 *     a new incarnation, whose local reads need not continue the previous one's)
 * @param invokeNanos when the request was sent
 * @param completeNanos when its answer arrived; {@link Long#MAX_VALUE} when the outcome is unknown
 * @param outcome OK, FAIL (it certainly did not take effect) or UNKNOWN (it may or may not have)
 */
record Op(
        int client,
        Kind kind,
        String key,
        String value,
        boolean serializable,
        long node,
        int incarnation,
        long invokeNanos,
        long completeNanos,
        Outcome outcome) {

    enum Kind {
        PUT,
        GET
    }

    enum Outcome {
        OK,
        FAIL,
        UNKNOWN
    }

    Op {
        if (outcome == Outcome.UNKNOWN) {
            completeNanos = Long.MAX_VALUE; // an unknown write may take effect at any later time
        }
        if (completeNanos < invokeNanos) {
            throw new IllegalArgumentException("completed before invoked: " + invokeNanos + " > " + completeNanos);
        }
    }

    static Op put(int client, String key, String value, long invoke, long complete, Outcome outcome) {
        return new Op(client, Kind.PUT, key, value, false, 0, 0, invoke, complete, outcome);
    }

    static Op get(int client, String key, String read, long invoke, long complete) {
        return new Op(client, Kind.GET, key, read, false, 0, 0, invoke, complete, Outcome.OK);
    }

    boolean isWrite() {
        return kind == Kind.PUT;
    }

    /** Strictly before {@code other} in real time: it completed before the other was invoked. */
    boolean precedes(Op other) {
        return completeNanos < other.invokeNanos;
    }

    @Override
    public String toString() {
        String done = completeNanos == Long.MAX_VALUE ? "?" : Long.toString(completeNanos);
        return "c" + client + " " + kind + (serializable ? "(serializable)" : "") + " " + key + " "
                + (value == null ? "<absent>" : value) + " @n" + node + "." + incarnation
                + " [" + invokeNanos + ", " + done + "] " + outcome;
    }
}
