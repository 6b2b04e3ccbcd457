package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.Set;

/**
 * One direction of one link on loopback: accepts connections and pipes them to a target port,
 * until {@link #setOpen(false)} drops every connection it carries and refuses new ones (accepted,
 * then closed at once) until it is opened again. Its acceptor and pump threads are daemons of its
 * own; the open flag and the connection set are guarded by {@code this}.
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> sockets = new HashSet<>();
    private boolean open = true;
    private volatile boolean closed;

    TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = new Thread(this::acceptLoop, "proxy-" + server.getLocalPort() + "-to-" + targetPort);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    synchronized void setOpen(boolean open) {
        this.open = open;
        if (!open) {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
            sockets.clear();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return;
            }
            Socket out = null;
            try {
                synchronized (this) {
                    if (!open) {
                        in.close();
                        continue;
                    }
                }
                out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                synchronized (this) {
                    if (!open) {
                        in.close();
                        out.close();
                        continue;
                    }
                    sockets.add(in);
                    sockets.add(out);
                }
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                closeQuietly(in);
                closeQuietly(out);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[16 * 1024];
                    try (InputStream is = from.getInputStream();
                            OutputStream os = to.getOutputStream()) {
                        for (int n; (n = is.read(buf)) >= 0; ) {
                            os.write(buf, 0, n);
                            os.flush();
                        }
                    } catch (IOException e) {
                        // the link was cut or a side hung up
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                        synchronized (this) {
                            sockets.remove(from);
                            sockets.remove(to);
                        }
                    }
                },
                "proxy-pump-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        setOpen(false);
    }
}
