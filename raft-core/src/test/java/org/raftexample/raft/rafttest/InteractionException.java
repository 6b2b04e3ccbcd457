package org.raftexample.raft.rafttest;

/**
 * An error of a scripted command that the harness reports in the command's output (Go's harness
 * returns such errors from its handlers), as opposed to a broken script, which fails the test.
 */
final class InteractionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InteractionException(String message) {
        super(message);
    }
}
