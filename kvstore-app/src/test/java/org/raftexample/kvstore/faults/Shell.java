package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs system commands (ip, mount, kill, ...) for the fault harness, failing loudly. Stateless. */
final class Shell {

    private Shell() {}

    record Result(int exitCode, String output) {}

    /** Runs the command, returning its exit code and merged output (never throws for a non-zero exit). */
    static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    /** Runs the command and fails unless it exits 0; returns its output. */
    static String check(String... command) {
        Result r = run(command);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(
                    "`" + String.join(" ", command) + "` exited " + r.exitCode() + ": " + r.output());
        }
        return r.output();
    }

    static String check(List<String> command) {
        return check(command.toArray(String[]::new));
    }

    static boolean isRoot() {
        Result r = run("id", "-u");
        return r.exitCode() == 0 && r.output().equals("0");
    }

    /** Whether {@code tool} can be run (found on the PATH). */
    static boolean has(String tool) {
        return run("sh", "-c", "command -v " + tool).exitCode() == 0;
    }
}
