package org.raftexample.kvstore;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts every request answered on the key-value port, and how long it took, by method and status
 * code. Methods outside the few the API knows are counted as {@code OTHER}, so that a client sending
 * made-up methods cannot grow the metrics without bound.
 */
final class HttpMetricsHandler extends Handler.Wrapper {

    private final ServerMetrics metrics;

    HttpMetricsHandler(ServerMetrics metrics, Handler next) {
        super(next);
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long start = System.nanoTime();
        String method = ServerMetrics.HTTP_METHODS.contains(request.getMethod())
                ? request.getMethod()
                : ServerMetrics.OTHER_METHOD;
        Callback counted = new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                metrics.httpRequest(method, response.getStatus(), System.nanoTime() - start);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                // The answer could not be completed (e.g. the client went away): Jetty turns it into a 500.
                metrics.httpRequest(method, 500, System.nanoTime() - start);
                super.failed(x);
            }
        };
        return super.handle(request, response, counted);
    }
}
