package org.raftexample.wal;

import java.nio.file.Path;

/** Child-process helper for {@link WalLockTest}: tries to open a WAL and reports by exit code. */
public final class LockProbe {
    static final int OPENED = 0;
    static final int LOCKED = 3;

    private LockProbe() {}

    public static void main(String[] args) {
        try (WAL w = WAL.open(Path.of(args[0]), WAL.marker(0, 0), WalFixtures.SMALL)) {
            w.readAll();
            System.out.println("opened");
            System.exit(OPENED);
        } catch (WalLockedException e) {
            System.out.println(e.getMessage());
            System.exit(LOCKED);
        }
    }
}
