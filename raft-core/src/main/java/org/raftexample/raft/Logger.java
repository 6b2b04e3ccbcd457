package org.raftexample.raft;

/**
 * The logging interface raft writes through, one method per level as in etcd's raft.
 *
 * <p>Every method takes a {@link String#format} pattern and its arguments. {@link #fatal}
 * and {@link #panic} log the message and then throw {@link RaftPanicException}: they mark a
 * broken invariant after which the state machine must not be used again.
 */
public interface Logger {
    /**
     * Logs at DEBUG level.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void debug(String format, Object... args);

    /**
     * Logs at INFO level.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void info(String format, Object... args);

    /**
     * Logs at WARN level.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void warning(String format, Object... args);

    /**
     * Logs at ERROR level.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void error(String format, Object... args);

    /**
     * Logs at FATAL level and throws {@link RaftPanicException}.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void fatal(String format, Object... args);

    /**
     * Logs at FATAL level (as etcd's test logger does for panics) and throws {@link RaftPanicException}.
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     */
    void panic(String format, Object... args);

    /**
     * Formats a message the way every implementation does; null args are printed as "null". The
     * {@code long} arguments of raft's log lines are Go's uint64 (terms, indexes, ids), so one
     * holding 2^63 or more, negative as a Java long, prints unsigned under {@code %d} and
     * {@code %s}, as etcd prints it ({@code %x} already shows the same digits either way).
     *
     * @param format a {@link String#format} pattern
     * @param args its arguments
     * @return the message
     */
    static String format(String format, Object... args) {
        if (args.length == 0) {
            return format;
        }
        Object[] shown = args;
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Long v && v < 0) {
                if (shown == args) {
                    shown = args.clone();
                }
                shown[i] = new java.math.BigInteger(Long.toUnsignedString(v));
            }
        }
        return String.format(format, shown);
    }
}
