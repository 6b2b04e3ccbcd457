import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Write load against a running raftexample cluster: N clients, each doing one PUT at a time for S seconds,
 * spread over the given HTTP API URLs. Prints acknowledged writes per second and latency percentiles.
 * Run through scripts/bench-kv.
 */
public class KvBench {
    public static void main(String[] args) throws Exception {
        int clients = 16;
        int seconds = 10;
        int valueBytes = 100;
        List<String> urls = List.of("http://127.0.0.1:12380", "http://127.0.0.1:22380", "http://127.0.0.1:32380");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                case "--urls" -> urls = Arrays.asList(args[++i].split(","));
                default -> {
                    System.err.println("usage: bench-kv [--clients N] [--seconds S] [--value-bytes B] [--urls U1,U2]");
                    System.exit(2);
                }
            }
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String value = "x".repeat(valueBytes);
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        ConcurrentHashMap<Integer, long[]> perClient = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(clients);
        final List<String> targets = urls;
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                String base = targets.get(client % targets.size());
                for (int k = 0; System.nanoTime() < end; k++) {
                    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/bench-" + client + "-" + k))
                            .PUT(HttpRequest.BodyPublishers.ofString(value)).timeout(Duration.ofSeconds(10)).build();
                    long t0 = System.nanoTime();
                    try {
                        int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                        if (status == 204) {
                            acked.incrementAndGet();
                            if (n == lat.length) {
                                lat = Arrays.copyOf(lat, n * 2);
                            }
                            lat[n++] = System.nanoTime() - t0;
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
                perClient.put(client, Arrays.copyOf(lat, n));
                done.countDown();
            });
            t.setDaemon(true);
            t.start();
        }
        done.await();
        long[] all = perClient.values().stream().flatMapToLong(Arrays::stream).sorted().toArray();
        double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
        double p99 = all.length == 0 ? 0 : all[(int) Math.min(all.length - 1, all.length * 99L / 100)] / 1e6;
        System.out.printf("clients=%d seconds=%d value=%dB acked=%d (%.0f/s) failed=%d p50=%.1fms p99=%.1fms%n",
                clients, seconds, valueBytes, acked.get(), acked.get() / (double) seconds, failed.get(), p50, p99);
    }
}
