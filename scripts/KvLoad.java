import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes keys {@code /key-000000000} .. {@code /key-<N-1>} once each through a running cluster, every one a
 * normal PUT, retried until it is acknowledged (204), so that all N are in the store at the end. Or, with
 * {@code --check}, reads a sample of them back from one node and checks their values. Run through
 * scripts/bench-restart.
 *
 * <pre>
 *   java scripts/KvLoad.java --keys N [--clients C] [--value-bytes B] --urls U1,U2,...
 *   java scripts/KvLoad.java --check N --urls U           (serializable GETs of every N/100th key and the last)
 * </pre>
 */
public class KvLoad {

    static String key(long i) {
        return String.format("/key-%09d", i);
    }

    /** The value of key i: B bytes that start with the key's number, so a check can tell keys apart. */
    static String value(long i, int bytes) {
        String head = Long.toString(i) + "-";
        return head + "x".repeat(Math.max(0, bytes - head.length()));
    }

    public static void main(String[] args) throws Exception {
        long keys = 0;
        long check = 0;
        int clients = 64;
        int valueBytes = 100;
        List<String> urls = List.of("http://127.0.0.1:12380");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keys" -> keys = Long.parseLong(args[++i]);
                case "--check" -> check = Long.parseLong(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                case "--urls" -> urls = Arrays.asList(args[++i].split(","));
                default -> {
                    System.err.println("usage: KvLoad --keys N [--clients C] [--value-bytes B] --urls U1,U2 | --check N --urls U");
                    System.exit(2);
                }
            }
        }
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        if (check > 0) {
            System.exit(check(http, urls.get(0), check, valueBytes) ? 0 : 1);
        }
        load(http, urls, keys, clients, valueBytes);
    }

    static void load(HttpClient http, List<String> urls, long keys, int clients, int valueBytes) throws Exception {
        AtomicLong next = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        long start = System.nanoTime();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            String base = urls.get(c % urls.size());
            threads[c] = new Thread(() -> {
                for (long i; (i = next.getAndIncrement()) < keys; ) {
                    HttpRequest req = HttpRequest.newBuilder(URI.create(base + key(i)))
                            .PUT(HttpRequest.BodyPublishers.ofString(value(i, valueBytes)))
                            .timeout(Duration.ofSeconds(30))
                            .build();
                    while (true) {
                        try {
                            if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 204) {
                                break;
                            }
                        } catch (Exception e) {
                            // retried below
                        }
                        retries.incrementAndGet();
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    done.incrementAndGet();
                }
            });
            threads[c].setDaemon(true);
            threads[c].start();
        }
        long lastReport = System.nanoTime();
        while (done.get() < keys) {
            Thread.sleep(200);
            if (System.nanoTime() - lastReport > 10_000_000_000L) {
                lastReport = System.nanoTime();
                double s = (lastReport - start) / 1e9;
                System.out.printf("  %,d keys written (%.0f/s)%n", done.get(), done.get() / s);
            }
        }
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("wrote %,d keys in %.1f s (%.0f PUT/s, %d retried)%n", keys, s, keys / s, retries.get());
    }

    static boolean check(HttpClient http, String url, long keys, int valueBytes) throws Exception {
        long step = Math.max(1, keys / 100);
        int checked = 0;
        for (long i = 0; i < keys; i += step) {
            checked += checkOne(http, url, i, valueBytes) ? 1 : 0;
        }
        checked += checkOne(http, url, keys - 1, valueBytes) ? 1 : 0;
        int expected = (int) ((keys + step - 1) / step) + 1;
        System.out.printf("%s: %d of %d sampled keys have their value%n", url, checked, expected);
        return checked == expected;
    }

    static boolean checkOne(HttpClient http, String url, long i, int valueBytes) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + key(i) + "?serializable=true"))
                .timeout(Duration.ofSeconds(30))
                .build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().equals(value(i, valueBytes))) {
            System.out.printf("  %s%s: %d %s%n", url, key(i), r.statusCode(), r.body().length() > 40 ? r.body().substring(0, 40) : r.body());
            return false;
        }
        return true;
    }
}
