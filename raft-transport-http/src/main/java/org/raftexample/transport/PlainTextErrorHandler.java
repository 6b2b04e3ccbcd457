package org.raftexample.transport;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers what the peer port does not serve (paths outside {@code /raft}) and the requests Jetty refuses itself
 * (a malformed request line, headers over the limit) with one line of plain text, as {@link RaftHandler} answers
 * its own refusals, instead of Jetty's HTML page. Where Jetty is going to close the connection after the answer (a
 * request it could not parse, such as the path "/.."), the answer says {@code Connection: close}, so that a
 * client does not reuse the connection and fail its next request.
 */
final class PlainTextErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        if (!request.getConnectionMetaData().isPersistent()) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        Content.Sink.write(response, true, text(status, request.getAttribute(ERROR_MESSAGE)) + "\n", callback);
        return true;
    }

    private static String text(int status, Object reason) {
        String name = HttpStatus.getMessage(status);
        String why = reason == null ? "" : reason.toString().replace('\n', ' ').strip();
        return why.isEmpty() || why.equals(name) ? name : name + ": " + why;
    }
}
