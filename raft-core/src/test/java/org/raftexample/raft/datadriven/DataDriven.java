package org.raftexample.raft.datadriven;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.AssertionFailedError;

/**
 * Runs cockroachdb datadriven scripts (the format of etcd's raft testdata) from JUnit.
 *
 * <p>A handler turns each block into its actual output; the runner compares it with the block's
 * expected output after datadriven's one normalisation (a non-empty output gets a final newline
 * if it lacks one) and stops at the first mismatch with an {@link AssertionFailedError} whose
 * expected/actual pair lets an IDE show the diff.
 */
public final class DataDriven {
    private DataDriven() {}

    /** Reads every block of a script file, in order. */
    public static List<TestData> parse(Path file) {
        return ScriptParser.parse(file.toString(), read(file));
    }

    /** Runs every block of the script in order through handler, failing at the first mismatch. */
    public static void runTest(Path file, Function<TestData, String> handler) {
        for (TestData d : parse(file)) {
            runBlock(d, handler);
        }
    }

    /**
     * One dynamic test per {@code .txt} file under dir, each with a fresh handler from
     * handlerPerFile (scripts keep state across their blocks but not across files).
     */
    public static Stream<DynamicTest> dynamicTests(Path dir, Supplier<Function<TestData, String>> handlerPerFile) {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : txtFilesUnder(dir)) {
            String name = dir.relativize(file).toString();
            tests.add(DynamicTest.dynamicTest(
                    name.substring(0, name.length() - ".txt".length()),
                    file.toUri(),
                    () -> runTest(file, handlerPerFile.get())));
        }
        return tests.stream();
    }

    /** The {@code .txt} files below dir (recursively), skipping hidden ones, sorted by path. */
    public static List<Path> txtFilesUnder(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".txt"))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The output datadriven compares: a non-empty output always ends with a newline. */
    static String normalize(String actual) {
        if (actual == null || actual.isEmpty()) {
            return "";
        }
        return actual.endsWith("\n") ? actual : actual + "\n";
    }

    static void runBlock(TestData d, Function<TestData, String> handler) {
        String actual;
        try {
            actual = normalize(handler.apply(d));
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionFailedError(d.pos + ": " + d.cmdLine() + inputSuffix(d) + "\nfailed with " + e, e);
        }
        if (!d.expected.equals(actual)) {
            throw new AssertionFailedError(
                    d.pos + ": " + d.cmdLine() + inputSuffix(d) + "\noutput didn't match expected ("
                            + firstDifference(d.expected, actual) + ")",
                    d.expected,
                    actual);
        }
    }

    private static String inputSuffix(TestData d) {
        return d.input.isEmpty() ? "" : "\n" + d.input;
    }

    /** Names the first differing line, for readers of a console log rather than an IDE diff. */
    static String firstDifference(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        int n = Math.min(e.length, a.length);
        for (int i = 0; i < n; i++) {
            if (!e[i].equals(a[i])) {
                return "line " + (i + 1) + ": expected <" + e[i] + "> but was <" + a[i] + ">";
            }
        }
        return "expected " + (e.length - 1) + " lines but was " + (a.length - 1);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
