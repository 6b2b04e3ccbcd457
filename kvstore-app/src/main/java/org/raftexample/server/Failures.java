package org.raftexample.server;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Unwrapping of the exceptions that futures wrap around a cause: a future from {@link RaftNode} fails
 * with the cause inside a {@link CompletionException} or {@link ExecutionException}. Stateless.
 */
public final class Failures {

    private Failures() {}

    /**
     * The cause inside CompletionException / ExecutionException layers.
     *
     * @param e a failure as a future reports it
     * @return the innermost cause, or {@code e} itself
     */
    public static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * {@code t} as an unchecked exception to rethrow (an Error is thrown as it is).
     *
     * @param t any failure
     * @return {@code t} itself when unchecked, else wrapped in an IllegalStateException
     */
    public static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(t);
    }
}
