package org.raftexample.transport;

import java.net.URI;
import java.util.List;

/** Picks which of a peer's URLs to use, sticking to one until it fails, then moving to the next. */
final class UrlPicker {
    private List<URI> urls;
    private int current;

    UrlPicker(List<URI> urls) {
        update(urls);
    }

    synchronized void update(List<URI> newUrls) {
        if (newUrls.isEmpty()) {
            throw new IllegalArgumentException("a peer needs at least one URL");
        }
        urls = List.copyOf(newUrls);
        current = 0;
    }

    synchronized URI pick() {
        return urls.get(current);
    }

    /** Moves on from {@code url} if it is still the current one (another thread may have moved already). */
    synchronized void unreachable(URI url) {
        if (urls.get(current).equals(url)) {
            current = (current + 1) % urls.size();
        }
    }
}
