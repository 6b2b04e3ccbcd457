package org.raftexample.kvstore;

/** A command line that cannot be run: reported in one line, exit code 2. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message);
    }
}
