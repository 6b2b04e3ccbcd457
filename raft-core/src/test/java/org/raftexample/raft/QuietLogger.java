package org.raftexample.raft;


/** Discards raft's chatter in the simulation but still turns fatal errors into exceptions. */
enum QuietLogger implements Logger {
    INSTANCE;

    @Override
    public void debug(String format, Object... args) {
    }

    @Override
    public void info(String format, Object... args) {
    }

    @Override
    public void warning(String format, Object... args) {
    }

    @Override
    public void error(String format, Object... args) {
    }

    @Override
    public void fatal(String format, Object... args) {
        throw new RaftPanicException(Logger.format(format, args));
    }

    @Override
    public void panic(String format, Object... args) {
        throw new RaftPanicException(Logger.format(format, args));
    }
}
