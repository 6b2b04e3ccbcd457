package org.raftexample.raft;

/**
 * The logging interface raft writes through, one method per level as in etcd's raft.
 *
 * <p>Every method takes a {@link String#format} pattern and its arguments. {@link #fatal}
 * and {@link #panic} log the message and then throw {@link RaftPanicException}: they mark a
 * broken invariant after which the state machine must not be used again.
 */
public interface Logger {
    void debug(String format, Object... args);

    void info(String format, Object... args);

    void warning(String format, Object... args);

    void error(String format, Object... args);

    /** Logs at FATAL level and throws {@link RaftPanicException}. */
    void fatal(String format, Object... args);

    /** Logs at FATAL level (as etcd's test logger does for panics) and throws {@link RaftPanicException}. */
    void panic(String format, Object... args);

    /** Formats a message the way every implementation does; null args are printed as "null". */
    static String format(String format, Object... args) {
        return args.length == 0 ? format : String.format(format, args);
    }
}
