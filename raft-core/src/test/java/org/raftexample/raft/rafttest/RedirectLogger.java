package org.raftexample.raft.rafttest;

import java.util.List;
import org.raftexample.raft.Logger;
import org.raftexample.raft.RaftPanicException;

/**
 * The logger every node of an {@link InteractionEnv} writes to: it turns each log call at or above
 * the chosen level into a line {@code "LEVEL message"} of the command's output, so that scripts
 * can assert on what raft logged.
 *
 * <p>It is also the output buffer of the harness itself. At level NONE everything is swallowed,
 * harness output included (errors of a command are still returned by the command handler).
 */
public final class RedirectLogger implements Logger {
    /** Level names in increasing severity; the index is the level. NONE silences everything. */
    static final List<String> LEVEL_NAMES = List.of("DEBUG", "INFO", "WARN", "ERROR", "FATAL", "NONE");

    private static final int DEBUG = 0;
    private static final int INFO = 1;
    private static final int WARN = 2;
    private static final int ERROR = 3;
    private static final int FATAL = 4;

    private StringBuilder builder = new StringBuilder();
    private int level;

    /** The current level, an index into {@link #LEVEL_NAMES}. */
    int level() {
        return level;
    }

    void setLevel(int level) {
        this.level = level;
    }

    /** True at level NONE, where nothing at all is written. */
    boolean quiet() {
        return level == LEVEL_NAMES.size() - 1;
    }

    /** Swaps the buffer writes go to and returns the previous one (used to indent nested output). */
    StringBuilder swapBuilder(StringBuilder replacement) {
        StringBuilder previous = builder;
        builder = replacement;
        return previous;
    }

    void reset() {
        builder.setLength(0);
    }

    int length() {
        return builder.length();
    }

    /** Appends harness output verbatim unless the logger is quiet. */
    void write(String s) {
        if (!quiet()) {
            builder.append(s);
        }
    }

    /** Appends harness output followed by a newline unless the logger is quiet. */
    void writeLine(String s) {
        write(s + "\n");
    }

    @Override
    public String toString() {
        return builder.toString();
    }

    private void log(int lvl, String format, Object... args) {
        if (level > lvl) {
            return;
        }
        String message = Logger.format(format, args);
        // Go's Fprintf writes a level prefix, the message, and a newline unless the format had one.
        builder.append(LEVEL_NAMES.get(lvl)).append(' ').append(message);
        if (!format.isEmpty() && format.charAt(format.length() - 1) != '\n') {
            builder.append('\n');
        }
    }

    @Override
    public void debug(String format, Object... args) {
        log(DEBUG, format, args);
    }

    @Override
    public void info(String format, Object... args) {
        log(INFO, format, args);
    }

    @Override
    public void warning(String format, Object... args) {
        log(WARN, format, args);
    }

    @Override
    public void error(String format, Object... args) {
        log(ERROR, format, args);
    }

    @Override
    public void fatal(String format, Object... args) {
        log(FATAL, format, args);
        throw new RaftPanicException(Logger.format(format, args));
    }

    @Override
    public void panic(String format, Object... args) {
        log(FATAL, format, args);
        throw new RaftPanicException(Logger.format(format, args));
    }
}
