package org.raftexample.raft.datadriven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class DataDrivenTest {
    @TempDir
    Path tmp;

    private Path script(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    private List<TestData> parse(String content) throws IOException {
        return DataDriven.parse(script("t.txt", content));
    }

    @Test
    void readsCommandArgumentsInputAndExpectedOutput() throws IOException {
        List<TestData> blocks = parse("""
                # a comment
                   # an indented comment

                cmd a b=1 c=(x,y, z)
                first input
                  second input
                ----
                out 1
                out 2

                other
                ----
                done
                """);
        assertEquals(2, blocks.size());
        TestData d = blocks.get(0);
        assertTrue(d.pos.endsWith("t.txt:4"), d.pos);
        assertEquals("cmd", d.cmd);
        assertEquals(
                List.of(
                        new CmdArg("a", List.of()),
                        new CmdArg("b", List.of("1")),
                        new CmdArg("c", List.of("x", "y", "z"))),
                d.cmdArgs);
        assertEquals("first input\n  second input", d.input);
        assertEquals("out 1\nout 2\n", d.expected);
        TestData o = blocks.get(1);
        assertTrue(o.pos.endsWith("t.txt:11"), o.pos);
        assertEquals("other", o.cmd);
        assertEquals("", o.input);
        assertEquals("done\n", o.expected);
    }

    @Test
    void commandLineContinuesAfterTrailingBackslash() throws IOException {
        List<TestData> blocks = parse("cmd a=1 \\\n   b=2\\\nc\n----\nok\n");
        TestData d = blocks.get(0);
        assertTrue(d.pos.endsWith(":1"), d.pos);
        assertEquals("cmd a=1 b=2 c", d.cmdLine());
        assertEquals("ok\n", d.expected);
    }

    @Test
    void doubleSeparatorKeepsBlankLinesInExpectedOutput() throws IOException {
        List<TestData> blocks = parse("cmd\n----\n----\na\n\nb\n----\nnot the end\n----\n----\n\nnext\n----\nx\n");
        assertEquals("a\n\nb\n----\nnot the end\n", blocks.get(0).expected);
        assertEquals("next", blocks.get(1).cmd);
        assertEquals("x\n", blocks.get(1).expected);
    }

    @Test
    void doubleSeparatorMustBeFollowedByBlankLine() throws IOException {
        Path p = script("bad.txt", "cmd\n----\n----\na\n----\n----\nstray\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataDriven.parse(p));
        assertTrue(e.getMessage().contains("bad.txt:1"), e.getMessage());
        assertTrue(e.getMessage().contains("non-blank line after end of double ---- separator section"));
    }

    @Test
    void expectedOutputEndsAtWhitespaceOnlyLineOrEndOfFile() throws IOException {
        List<TestData> blocks = parse("a\n----\nx\n   \nb\n----\ny\nz");
        assertEquals("x\n", blocks.get(0).expected);
        assertEquals("y\nz\n", blocks.get(1).expected);
    }

    @Test
    void blockWithoutSeparatorOrOutputHasEmptyExpected() throws IOException {
        List<TestData> blocks = parse("a\n----\n\nb\n----\n");
        assertEquals("", blocks.get(0).expected);
        assertEquals("", blocks.get(1).expected);
        List<TestData> noSep = parse("c\nsome input\n");
        assertEquals("some input", noSep.get(0).input);
        assertEquals("", noSep.get(0).expected);
    }

    @Test
    void windowsLineEndingsAreStripped() throws IOException {
        List<TestData> blocks = parse("cmd k=v\r\n----\r\nout\r\n\r\n");
        assertEquals(List.of(new CmdArg("k", List.of("v"))), blocks.get(0).cmdArgs);
        assertEquals("out\n", blocks.get(0).expected);
    }

    @Test
    void parsesArgumentFormsLikeDatadriven() {
        ScriptParser.ParsedLine l = ScriptParser.parseLine("  cmd  bare   e= one=1 f=(a (b, c), d) g=() h=x(y");
        assertEquals("cmd", l.cmd());
        assertEquals(
                List.of(
                        new CmdArg("bare", List.of()),
                        new CmdArg("e", List.of("")),
                        new CmdArg("one", List.of("1")),
                        new CmdArg("f", List.of("a (b, c)", "d")),
                        new CmdArg("g", List.of("")),
                        new CmdArg("h", List.of("x(y"))),
                l.args());
        assertNull(ScriptParser.parseLine("   "));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ScriptParser.parseLine("cmd k=(1,2"));
        assertTrue(e.getMessage().startsWith("cannot parse directive at column"), e.getMessage());
    }

    @Test
    void cmdArgPrintsAsDatadrivenDoes() {
        assertEquals("k", new CmdArg("k", List.of()).toString());
        assertEquals("k=v", new CmdArg("k", List.of("v")).toString());
        assertEquals("k=(a, b)", new CmdArg("k", List.of("a", "b")).toString());
    }

    @Test
    void scanHelpersReadSingleValuesAndNameTheProblem() throws IOException {
        TestData d = parse("cmd n=42 big=18446744073709551615 b=true s=str many=(1,2) bad=x\n----\n")
                .get(0);
        assertEquals(42, d.scanInt("n"));
        assertEquals(42L, d.scanLong("n"));
        assertEquals(-1L, d.scanLong("big"));
        assertTrue(d.scanBool("b"));
        assertEquals("str", d.scanString("s"));
        assertEquals(List.of(1L, 2L), d.scanLongs("many"));
        assertTrue(d.hasArg("many"));
        assertFalse(d.hasArg("absent"));
        assertNull(d.arg("absent"));

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> d.scanLong("absent"));
        assertTrue(
                missing.getMessage().contains("t.txt:1") && missing.getMessage().contains("absent"),
                missing.getMessage());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class, () -> d.scanInt("bad"));
        assertTrue(
                malformed.getMessage().contains("t.txt:1")
                        && malformed.getMessage().contains("bad"),
                malformed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.scanBool("s"));
        assertThrows(IllegalArgumentException.class, () -> d.scanString("many"));
    }

    @Test
    void runTestAddsMissingFinalNewlineAndAcceptsEmptyOutput() throws IOException {
        Path p = script(
                "ok.txt", "echo\nhello\n----\nhello\n\nnothing\n----\n\nblank\n----\n----\na\n\nb\n----\n----\n");
        List<String> seen = new ArrayList<>();
        DataDriven.runTest(p, d -> {
            seen.add(d.cmd);
            return switch (d.cmd) {
                case "echo" -> d.input;
                case "nothing" -> "";
                default -> "a\n\nb";
            };
        });
        assertEquals(List.of("echo", "nothing", "blank"), seen);
    }

    @Test
    void runTestStopsAtFirstMismatchWithExpectedAndActual() throws IOException {
        Path p = script("fail.txt", "a\n----\n1\n\nb\n----\n2\n\nc\n----\n3\n");
        List<String> seen = new ArrayList<>();
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> DataDriven.runTest(p, d -> {
                    seen.add(d.cmd);
                    return d.cmd.equals("b") ? "two" : d.expected;
                }));
        assertEquals(List.of("a", "b"), seen);
        assertTrue(e.getMessage().contains("fail.txt:5"), e.getMessage());
        assertEquals("2\n", e.getExpected().getStringRepresentation());
        assertEquals("two\n", e.getActual().getStringRepresentation());
    }

    @Test
    void handlerExceptionIsReportedWithPosition() throws IOException {
        Path p = script("boom.txt", "a\n----\n\nb x=1\n----\n");
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> DataDriven.runTest(p, d -> {
                    if (d.cmd.equals("b")) {
                        throw new IllegalStateException("kaput");
                    }
                    return "";
                }));
        assertTrue(e.getMessage().contains("boom.txt:4: b x=1"), e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException);
    }

    @Test
    void subtestDirectivesAreRejected() throws IOException {
        Path p = script("sub.txt", "subtest foo\n");
        assertThrows(IllegalArgumentException.class, () -> DataDriven.parse(p));
    }

    @Test
    void txtFilesUnderListsScriptsSortedAndSkipsOthers() throws IOException {
        script("d/b.txt", "");
        script("d/a.txt", "");
        script("d/sub/c.txt", "");
        script("d/.hidden.txt", "");
        script("d/notes.md", "");
        List<String> names = DataDriven.txtFilesUnder(tmp.resolve("d")).stream()
                .map(p -> tmp.resolve("d").relativize(p).toString())
                .collect(Collectors.toList());
        assertEquals(List.of("a.txt", "b.txt", Path.of("sub", "c.txt").toString()), names);
        List<String> testNames = DataDriven.dynamicTests(tmp.resolve("d"), () -> d -> "")
                .map(DynamicTest::getDisplayName)
                .collect(Collectors.toList());
        assertEquals(List.of("a", "b", Path.of("sub", "c").toString()), testNames);
    }

    @Test
    void missingTestdataFolderAbortsInsteadOfFailing() {
        withProperties(tmp.resolve("nowhere").toString(), "false", () -> {
            assertTrue(TestdataDir.root().isEmpty());
            TestAbortedException e =
                    assertThrows(TestAbortedException.class, () -> TestdataDir.require("quorum/testdata"));
            assertTrue(e.getMessage().contains("etcd raft testdata not found at"), e.getMessage());
        });
        withProperties(
                tmp.toString(),
                "false",
                () -> assertEquals(
                        tmp.toAbsolutePath().normalize(), TestdataDir.root().orElseThrow()));
    }

    @Test
    void missingTestdataFolderFailsWhenRequired() {
        withProperties(tmp.resolve("nowhere").toString(), "true", () -> {
            AssertionError e = assertThrows(AssertionError.class, () -> TestdataDir.require("quorum/testdata"));
            assertTrue(e.getMessage().contains("raft.testdata.required=true"), e.getMessage());
        });
    }

    /** Runs body with the two testdata properties set, restoring them afterwards. */
    private static void withProperties(String dir, String required, Runnable body) {
        String oldDir = System.getProperty(TestdataDir.PROPERTY);
        String oldRequired = System.getProperty(TestdataDir.REQUIRED_PROPERTY);
        try {
            System.setProperty(TestdataDir.PROPERTY, dir);
            System.setProperty(TestdataDir.REQUIRED_PROPERTY, required);
            body.run();
        } finally {
            restore(TestdataDir.PROPERTY, oldDir);
            restore(TestdataDir.REQUIRED_PROPERTY, oldRequired);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void everyEtcdScriptParsesIntoOneBlockPerSeparator() throws IOException {
        Path root = TestdataDir.require(".");
        List<Path> files = DataDriven.txtFilesUnder(root);
        assertFalse(files.isEmpty());
        for (Path f : files) {
            long separators =
                    Files.readAllLines(f).stream().filter("----"::equals).count();
            List<TestData> blocks = DataDriven.parse(f);
            // No etcd script uses the double-separator form, so each block owns exactly one "----".
            assertEquals(separators, blocks.size(), f.toString());
            for (TestData d : blocks) {
                assertFalse(d.expected.contains("\n\n"), d.pos);
            }
        }
    }
}
