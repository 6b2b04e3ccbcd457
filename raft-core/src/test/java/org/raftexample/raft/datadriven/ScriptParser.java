package org.raftexample.raft.datadriven;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a datadriven script into its blocks, following cockroachdb/datadriven v1.0.2 (the version
 * etcd's raft tests use) rule for rule, so that a script means here what it means to the Go tests.
 *
 * <p>Between blocks, blank lines and lines whose first non-blank character is {@code #} are
 * skipped. A command line ending in {@code \} is joined with the next line. Lines up to a line that
 * is exactly {@code ----} are the input. The expected output then runs to the first blank (or
 * whitespace-only) line or the end of the file, unless the line after the separator is another
 * {@code ----}: then the output may contain blank lines and ends at two consecutive {@code ----}
 * lines, which must be followed by a blank line or the end of the file.
 */
final class ScriptParser {
    private final String source;
    private final List<String> lines;
    private int next; // index of the next line to read; line numbers are next after a read

    private ScriptParser(String source, String content) {
        this.source = source;
        this.lines = splitLines(content);
    }

    static List<TestData> parse(String source, String content) {
        return new ScriptParser(source, content).readAll();
    }

    /** Splits like Go's bufio.ScanLines: on '\n', dropping one '\r' before it, with no empty last line. */
    static List<String> splitLines(String content) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < content.length()) {
            int nl = content.indexOf('\n', start);
            int end = nl < 0 ? content.length() : nl;
            String line = content.substring(start, end);
            if (nl >= 0 && line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            out.add(line);
            start = end + 1;
        }
        return out;
    }

    private boolean hasNext() {
        return next < lines.size();
    }

    private String read() {
        return lines.get(next++);
    }

    private List<TestData> readAll() {
        List<TestData> blocks = new ArrayList<>();
        while (hasNext()) {
            String line = read().strip();
            String pos = source + ":" + next;
            if (line.startsWith("#")) {
                continue;
            }
            while (line.endsWith("\\") && hasNext()) {
                line = line.substring(0, line.length() - 1) + " " + read().strip();
            }
            ParsedLine parsed;
            try {
                parsed = parseLine(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(pos + ": " + e.getMessage(), e);
            }
            if (parsed == null) {
                continue; // blank line
            }
            if (parsed.cmd().equals("subtest")) {
                // datadriven's nested subtests change how blocks are read; no etcd script uses them.
                throw new IllegalArgumentException(pos + ": subtest directives are not supported");
            }
            StringBuilder input = new StringBuilder();
            boolean separator = false;
            while (hasNext()) {
                String l = read();
                if (l.equals("----")) {
                    separator = true;
                    break;
                }
                input.append(l).append('\n');
            }
            String expected = separator ? readExpected(pos) : "";
            blocks.add(new TestData(
                    pos, parsed.cmd(), parsed.args(), input.toString().strip(), expected));
        }
        return blocks;
    }

    private String readExpected(String pos) {
        StringBuilder out = new StringBuilder();
        String line = hasNext() ? read() : "";
        if (line.equals("----")) {
            // Double-separator form: blank lines are part of the output; "----" twice ends it.
            while (hasNext()) {
                line = read();
                if (line.equals("----") && hasNext()) {
                    String line2 = read();
                    if (line2.equals("----")) {
                        if (hasNext() && !read().isEmpty()) {
                            throw new IllegalArgumentException(
                                    pos + ": non-blank line after end of double ---- separator section");
                        }
                        break;
                    }
                    out.append(line).append('\n').append(line2).append('\n');
                    continue;
                }
                out.append(line).append('\n');
            }
            return out.toString();
        }
        while (!line.isBlank()) {
            out.append(line).append('\n');
            if (!hasNext()) {
                break;
            }
            line = read();
        }
        return out.toString();
    }

    /** A command and its arguments; null stands for a blank line. */
    record ParsedLine(String cmd, List<CmdArg> args) {}

    /**
     * Parses one command line: a command word, then arguments separated by spaces, each
     * {@code key}, {@code key=value} or {@code key=(v1, v2, ...)} where values may nest parentheses
     * and spaces after a top-level comma are skipped. Returns null for a blank line.
     */
    static ParsedLine parseLine(String text) {
        String line = text.strip();
        if (line.isEmpty()) {
            return null;
        }
        int i = untilAny(line, 0, " ");
        String cmd = line.substring(0, i);
        i = skipSpaces(line, i);
        List<CmdArg> args = new ArrayList<>();
        while (i < line.length()) {
            int keyEnd = untilAny(line, i, " =");
            if (keyEnd == i) {
                throw parseError(line, i);
            }
            String key = line.substring(i, keyEnd);
            i = keyEnd;
            List<String> vals = new ArrayList<>();
            if (i < line.length() && line.charAt(i) == '=') {
                i++;
                if (i == line.length() || line.charAt(i) == ' ') {
                    vals.add("");
                } else if (line.charAt(i) != '(') {
                    int end = untilAny(line, i, " ");
                    vals.add(line.substring(i, end));
                    i = end;
                } else {
                    int p = i + 1;
                    int depth = 1;
                    int valStart = p;
                    while (depth > 0) {
                        if (p == line.length()) {
                            throw parseError(line, i);
                        }
                        char c = line.charAt(p++);
                        if (c == ',' && depth == 1) {
                            vals.add(line.substring(valStart, p - 1));
                            while (p < line.length() && line.charAt(p) == ' ') {
                                p++;
                            }
                            valStart = p;
                        } else if (c == '(') {
                            depth++;
                        } else if (c == ')') {
                            depth--;
                        }
                    }
                    vals.add(line.substring(valStart, p - 1));
                    i = p;
                }
            }
            args.add(new CmdArg(key, vals));
            i = skipSpaces(line, i);
        }
        return new ParsedLine(cmd, args);
    }

    private static int untilAny(String s, int from, String chars) {
        int i = from;
        while (i < s.length() && chars.indexOf(s.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    private static int skipSpaces(String s, int from) {
        int i = from;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static IllegalArgumentException parseError(String line, int at) {
        return new IllegalArgumentException("cannot parse directive at column " + (at + 1) + ": " + line);
    }
}
