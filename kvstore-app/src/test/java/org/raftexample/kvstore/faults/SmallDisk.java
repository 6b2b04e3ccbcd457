package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Small filesystems made by the test for one node's data directory (root only), unmounted and
 * detached by {@link #close} even after a failure. Two kinds:
 * <ul>
 * <li>{@link #tmpfs}: a tmpfs of a few MiB beyond one WAL segment, which {@link #fill} fills up
 *     (ENOSPC for anything that needs new space: a snapshot file, a new segment);</li>
 * <li>{@link #failingExt4}: ext4 on a loop device whose backing file lives on a tmpfs smaller than
 *     the image. {@link #failWrites} punches the blocks of a file out of the backing file and fills
 *     the backing tmpfs, so the file's next writeback fails in the loop device and its fsync
 *     reports the error, while ext4 itself still believes it has space (a disk that fails, not a
 *     full one; the kernel has no dm-error/dm-flakey here).</li>
 * </ul>
 * Used by one test thread.
 */
final class SmallDisk implements AutoCloseable {

    private static final Pattern EXTENT =
            Pattern.compile("^\\s*\\d+:\\s*\\d+\\.\\.\\s*\\d+:\\s*(\\d+)\\.\\.\\s*(\\d+):");

    private final Path root;
    private final Path mount;
    private final Path backing;
    private final String loop;
    private final List<Path> mounted = new ArrayList<>();

    private SmallDisk(Path root, Path mount, Path backing, String loop) {
        this.root = root;
        this.mount = mount;
        this.backing = backing;
        this.loop = loop;
    }

    /** Where the node's data directory goes. */
    Path mount() {
        return mount;
    }

    static SmallDisk tmpfs(int mib) throws IOException {
        Path root = Files.createTempDirectory("rxf-disk");
        Path m = Files.createDirectories(root.resolve("data"));
        SmallDisk d = new SmallDisk(root, m, null, null);
        Shell.check("mount", "-t", "tmpfs", "-o", "size=" + mib + "m", "rxf-tmpfs", m.toString());
        d.mounted.add(m);
        return d;
    }

    static SmallDisk failingExt4(int backingMib, int imageMib) throws IOException {
        Path root = Files.createTempDirectory("rxf-disk");
        Path back = Files.createDirectories(root.resolve("backing"));
        Path m = Files.createDirectories(root.resolve("data"));
        Shell.check("mount", "-t", "tmpfs", "-o", "size=" + backingMib + "m", "rxf-backing", back.toString());
        String loop;
        try {
            Path img = back.resolve("disk.img");
            Shell.check("truncate", "-s", imageMib + "m", img.toString());
            loop = Shell.check("losetup", "--find", "--show", img.toString());
        } catch (RuntimeException e) {
            Shell.run("umount", back.toString());
            Shell.run("rm", "-rf", root.toString());
            throw e;
        }
        SmallDisk d = new SmallDisk(root, m, back, loop);
        try {
            Shell.check("mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", loop);
            Shell.check("mount", loop, m.toString());
            d.mounted.add(m);
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Fills the filesystem holding {@code dir} until it has no space left; returns the bytes written. */
    static long fill(Path dir, String name) throws IOException {
        long written = 0;
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        // The last chunk may not have fit whole: fill the remainder byte-sized.
        try (OutputStream out = Files.newOutputStream(dir.resolve(name + ".rest"))) {
            while (true) {
                out.write(0);
                out.flush();
                written++;
            }
        } catch (IOException e) {
            return written;
        }
    }

    /**
     * Makes every later write of {@code file} fail on the way to the disk: its blocks are punched out
     * of the backing file, then the backing tmpfs is filled so they cannot come back.
     */
    void failWrites(Path file) throws IOException {
        String frag = Shell.check("filefrag", "-v", "-b4096", file.toString());
        int extents = 0;
        for (String line : frag.split("\n")) {
            Matcher m = EXTENT.matcher(line);
            if (m.find()) {
                long first = Long.parseLong(m.group(1));
                long last = Long.parseLong(m.group(2));
                Shell.check(
                        "fallocate",
                        "--punch-hole",
                        "--offset",
                        Long.toString(first * 4096),
                        "--length",
                        Long.toString((last - first + 1) * 4096),
                        backing.resolve("disk.img").toString());
                extents++;
            }
        }
        if (extents == 0) {
            throw new IllegalStateException("no extents found for " + file + ":\n" + frag);
        }
        fill(backing, "filler");
    }

    @Override
    public void close() {
        if (!mounted.isEmpty() && Shell.run("umount", mount.toString()).exitCode() != 0) {
            Shell.run("umount", "-l", mount.toString());
        }
        if (loop != null) {
            Shell.run("losetup", "-d", loop);
        }
        if (backing != null && Shell.run("umount", backing.toString()).exitCode() != 0) {
            Shell.run("umount", "-l", backing.toString());
        }
        Shell.run("rm", "-rf", root.toString());
    }
}
