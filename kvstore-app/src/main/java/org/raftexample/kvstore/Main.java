package org.raftexample.kvstore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of {@code raftexample.jar}: parses the command line, starts the node, and exits with 0 when
 * the node is removed from the cluster, 1 on a fatal error, 2 on a bad command line. SIGTERM (and Ctrl-C)
 * stop the node cleanly through a shutdown hook.
 */
public final class Main {

    private Main() {}

    /**
     * Runs one raftexample node with the flags given (see {@code --help}); exits non-zero on a usage error or a fatal
     * failure.
     *
     * @param args the command-line flags
     */
    public static void main(String[] args) {
        if (OptionsParser.wantsHelp(args)) {
            System.out.print(OptionsParser.usage());
            System.exit(0);
        }
        Options opts;
        try {
            opts = OptionsParser.parse(args);
        } catch (UsageException e) {
            System.err.println("raftexample: " + e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        // Read by logback.xml; must be set before the first logger exists.
        System.setProperty("raftexample.id", Long.toString(opts.id()));
        System.setProperty("raftexample.loglevel", opts.logLevel());
        Logger log = LoggerFactory.getLogger(Main.class);

        RaftExample app;
        try {
            app = new RaftExample(opts);
        } catch (java.io.IOException e) {
            log.error("cannot open the store: {}", e.toString(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "raftexample-shutdown"));
        try {
            app.start();
        } catch (Exception e) {
            log.error("cannot start: {}", e.toString(), e);
            System.exit(1);
            return;
        }
        int code = app.terminated().join();
        log.info("exiting with code {}", code);
        System.exit(code);
    }
}
