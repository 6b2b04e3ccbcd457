package org.raftexample.kvstore;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Unwrapping of the exceptions that futures wrap around a cause. */
final class Failures {

    private Failures() {}

    /** The cause inside CompletionException / ExecutionException layers. */
    static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** {@code t} as an unchecked exception to rethrow (an Error is thrown as it is). */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(t);
    }
}
