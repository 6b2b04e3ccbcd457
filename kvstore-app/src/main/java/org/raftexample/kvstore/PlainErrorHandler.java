package org.raftexample.kvstore;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty raises itself (a malformed request line, a bad %-escape in the path)
 * the way {@link HttpKVApi} answers its own: one line of plain text instead of an HTML page. Where
 * Jetty closes the connection after the answer (a request it could not parse, such as the path
 * "/.." or "/%zz"), the answer says {@code Connection: close}, so that a client does not reuse the
 * connection and fail its next request.
 */
final class PlainErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        if (!request.getConnectionMetaData().isPersistent()) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        HttpKVApi.send(response, callback, status, text(status, request.getAttribute(ERROR_MESSAGE)));
        return true;
    }

    private static String text(int status, Object reason) {
        String name = HttpStatus.getMessage(status);
        String why = reason == null ? "" : reason.toString().replace('\n', ' ').strip();
        return why.isEmpty() || why.equals(name) ? name : name + ": " + why;
    }
}
