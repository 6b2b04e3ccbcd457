package org.raftexample.raft;

/**
 * The logger raft uses unless a {@link Config} names another: it writes through SLF4J under the
 * logger name {@code raft}, so the application's logging configuration decides where it goes.
 */
public final class DefaultLogger implements Logger {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("raft");
    private static volatile Logger current = new DefaultLogger();

    /**
     * The process-wide logger used by configs that do not set one (etcd's raft.SetLogger).
     *
     * @return the logger in use
     */
    public static Logger get() {
        return current;
    }

    /**
     * Replaces the process-wide logger; {@code null} restores the SLF4J-backed default.
     *
     * @param logger the logger to use from now on, or null for the default
     */
    public static void set(Logger logger) {
        current = logger == null ? new DefaultLogger() : logger;
    }

    @Override
    public void debug(String format, Object... args) {
        if (LOG.isDebugEnabled()) {
            LOG.debug(Logger.format(format, args));
        }
    }

    @Override
    public void info(String format, Object... args) {
        if (LOG.isInfoEnabled()) {
            LOG.info(Logger.format(format, args));
        }
    }

    @Override
    public void warning(String format, Object... args) {
        LOG.warn(Logger.format(format, args));
    }

    @Override
    public void error(String format, Object... args) {
        LOG.error(Logger.format(format, args));
    }

    @Override
    public void fatal(String format, Object... args) {
        String msg = Logger.format(format, args);
        LOG.error(msg);
        throw new RaftPanicException(msg);
    }

    @Override
    public void panic(String format, Object... args) {
        String msg = Logger.format(format, args);
        LOG.error(msg);
        throw new RaftPanicException(msg);
    }
}
