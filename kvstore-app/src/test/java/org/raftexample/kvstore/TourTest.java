package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/tour.md walks through the code naming Java classes and methods next to etcd's Go functions;
 * this test keeps the page true to the code. The page's convention, which the test reads:
 *
 * <ul>
 *   <li>a Java name is an inline code span {@code Class}, {@code Class#member} or {@code Outer.Inner#member},
 *       optionally qualified by its package under {@code org.raftexample} where the simple name is
 *       ambiguous ({@code transport.RaftReceiver#process}, {@code raft.Raft#send}); a member is a method, a field
 *       or an enum constant; a bare enum constant of raft's message, entry, conf change or state types
 *       ({@code MsgProp}, {@code StateLeader}) is a Java name too;</li>
 *   <li>a Go name is written with its file ({@code raft.go: (*raft).tickHeartbeat}) or starts with a
 *       lower-case letter ({@code proposeC}, {@code r.msgs}), and is not checked here;</li>
 *   <li>code blocks (the Mermaid diagrams) are not read for names.</li>
 * </ul>
 *
 * <p>Every Java name must resolve by reflection on the test classpath (kvstore-app sees raft-core and
 * raft-transport-http), every relative link must point to a file that exists, and every section has a
 * diagram. A rename that the page does not follow fails here, naming what no longer exists.
 */
class TourTest {

    private static final String BASE = "org.raftexample.";
    private static final List<String> PACKAGES = List.of(
            "kvstore",
            "server",
            "counter",
            "transport",
            "raft",
            "raft.tracker",
            "raft.quorum",
            "raft.confchange",
            "raftpb",
            "wal",
            "snap");
    /** Enums whose constants the page may name bare, as a reader of etcd knows them. */
    private static final List<String> BARE_CONSTANT_ENUMS = List.of(
            "raftpb.MessageType",
            "raftpb.EntryType",
            "raftpb.ConfChangeType",
            "raft.StateType",
            "raft.tracker.ProgressState");
    /** The page is long; fewer names than this means the reader missed them, not that there are none. */
    static final int MIN_JAVA_NAMES = 150;

    static final int MIN_MEMBERS = 120;

    private static final Pattern CODE_SPAN = Pattern.compile("`([^`\\n]+)`");
    /** An optional package of {@link #PACKAGES}, a class (nested classes after dots), a member. */
    private static final Pattern JAVA_NAME = Pattern.compile("((?:"
            + String.join("|", PACKAGES).replace(".", "\\.")
            + ")\\.)?([A-Z][A-Za-z0-9]*(?:\\.[A-Z][A-Za-z0-9]*)*)(?:#([A-Za-z_][A-Za-z0-9_]*))?(?:\\(\\))?");

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    /** One Java name of the page, with the line it is on. */
    record Name(int line, String text) {}

    /** What reading a page found: the Java names, and the problems (empty when the page is right). */
    record Report(List<Name> names, List<String> problems) {
        long members() {
            return names.stream().filter(n -> n.text().contains("#")).count();
        }
    }

    @Test
    void everyJavaNameInTheTourResolves() throws IOException {
        Report r = read(Files.readString(tour()));
        assertTrue(
                r.problems().isEmpty(), "docs/tour.md names what does not exist:\n" + String.join("\n", r.problems()));
        Set<String> distinct = new HashSet<>();
        r.names().forEach(n -> distinct.add(n.text()));
        assertTrue(
                distinct.size() >= MIN_JAVA_NAMES,
                "only " + distinct.size() + " distinct Java names found in docs/tour.md (at least " + MIN_JAVA_NAMES
                        + " expected): has the page's convention changed?");
        long members = distinct.stream().filter(s -> s.contains("#")).count();
        assertTrue(
                members >= MIN_MEMBERS, "only " + members + " Class#method names found (at least " + MIN_MEMBERS + ")");
    }

    @Test
    void everySectionOfTheTourHasADiagramAndNamesTheGoFunctions() throws IOException {
        String page = Files.readString(tour());
        List<String> sections = sections(page);
        List<String> required = List.of(
                "Startup wiring",
                "The write path",
                "The logical clock",
                "The leader's send path",
                "The follower's receive path",
                "The Ready loop",
                "Snapshots and compaction");
        for (String title : required) {
            Optional<String> s = sections.stream()
                    .filter(x -> x.lines().findFirst().orElse("").contains(title))
                    .findFirst();
            assertTrue(s.isPresent(), "docs/tour.md has no section \"" + title + "\"");
            assertTrue(s.get().contains("```mermaid"), "section \"" + title + "\" has no Mermaid diagram");
            assertTrue(s.get().contains(".go: "), "section \"" + title + "\" names no Go function (file.go: name)");
        }
    }

    @Test
    void everyRelativeLinkOfTheTourPointsToAFile() throws IOException {
        Path page = tour();
        List<String> missing = new ArrayList<>();
        Matcher m = LINK.matcher(Files.readString(page));
        int links = 0;
        while (m.find()) {
            String target = m.group(1);
            if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("#")) {
                continue;
            }
            links++;
            String file = target.replaceFirst("#.*$", "");
            if (!Files.exists(page.getParent().resolve(file))) {
                missing.add(target);
            }
        }
        assertTrue(missing.isEmpty(), "docs/tour.md links to files that do not exist: " + missing);
        assertTrue(links >= 5, "only " + links + " relative links found in docs/tour.md");
    }

    @Test
    void aWrongNameIsReportedWithItsLine() {
        String page = String.join(
                "\n",
                "# t",
                "`RaftLoop#handleReady` and `raft.go: (*raft).send` and `proposeC`",
                "`RaftLoop#handleReadyy` then `NoSuchGlue`",
                "```mermaid",
                "`AlsoNotChecked` inside a diagram",
                "```",
                "`Raft#send` is unique; `raft.Raft#send` and `transport.RaftReceiver#process` are qualified; `MsgProp`");
        Report r = read(page);
        assertEquals(
                List.of(
                        "line 3: RaftLoop#handleReadyy: RaftLoop has no method or field handleReadyy",
                        "line 3: NoSuchGlue: no such class in " + PACKAGES),
                r.problems());
        assertEquals(7, r.names().size());
        assertEquals(5, r.members());
    }

    // ---- reading a page ---------------------------------------------------------------------------

    static Report read(String page) {
        List<Name> names = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean inBlock = false;
        String[] lines = page.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.stripLeading().startsWith("```")) {
                inBlock = !inBlock;
                continue;
            }
            if (inBlock) {
                continue;
            }
            Matcher span = CODE_SPAN.matcher(line);
            while (span.find()) {
                String text = span.group(1).strip();
                Matcher m = JAVA_NAME.matcher(text);
                if (!m.matches()) {
                    continue; // Go, a command, a file, a literal
                }
                Name n = new Name(i + 1, text.replace("()", ""));
                Optional<String> why = resolve(m.group(1), m.group(2), m.group(3));
                if (why.isPresent() && m.group(3) == null && isAllCaps(m.group(2))) {
                    continue; // PUT, GET: words, not classes (a class such as WAL resolves and is kept)
                }
                names.add(n);
                why.ifPresent(w -> problems.add("line " + n.line() + ": " + n.text() + ": " + w));
            }
        }
        return new Report(names, problems);
    }

    /** Empty when {@code pkg.Class#member} exists; else why not. */
    private static Optional<String> resolve(String pkg, String classPath, String member) {
        String binary = classPath.replace('.', '$');
        List<Class<?>> found = new ArrayList<>();
        if (pkg == null) {
            for (String p : PACKAGES) {
                load(BASE + p + "." + binary).ifPresent(found::add);
            }
        } else {
            load(BASE + pkg + binary).ifPresent(found::add);
        }
        if (found.isEmpty()) {
            if (pkg == null && member == null && !classPath.contains(".") && isBareConstant(classPath)) {
                return Optional.empty();
            }
            return Optional.of("no such class in " + (pkg == null ? PACKAGES : List.of(pkg.replaceAll("\\.$", ""))));
        }
        if (found.size() > 1) {
            return Optional.of("ambiguous, qualify it: "
                    + found.stream().map(Class::getName).toList());
        }
        Class<?> c = found.get(0);
        if (member != null && !hasMember(c, member)) {
            return Optional.of(classPath + " has no method or field " + member);
        }
        return Optional.empty();
    }

    private static boolean isBareConstant(String name) {
        for (String e : BARE_CONSTANT_ENUMS) {
            Optional<Class<?>> c = load(BASE + e);
            if (c.isPresent() && c.get().isEnum()) {
                for (Object k : c.get().getEnumConstants()) {
                    if (((Enum<?>) k).name().equals(name)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Methods and fields of the class, its superclasses and every interface it implements. */
    private static boolean hasMember(Class<?> c, String member) {
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(c));
        Set<Class<?>> seen = new LinkedHashSet<>();
        while (!todo.isEmpty()) {
            Class<?> k = todo.pop();
            if (k == null || !seen.add(k)) {
                continue;
            }
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(member)) {
                    return true;
                }
            }
            for (Field f : k.getDeclaredFields()) {
                if (f.getName().equals(member)) {
                    return true;
                }
            }
            todo.push(k.getSuperclass() == null ? Object.class : k.getSuperclass());
            todo.addAll(List.of(k.getInterfaces()));
        }
        return false;
    }

    private static Optional<Class<?>> load(String name) {
        try {
            return Optional.of(Class.forName(name, false, TourTest.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }

    private static boolean isAllCaps(String s) {
        return s.equals(s.toUpperCase());
    }

    private static List<String> sections(String page) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : page.split("\n", -1)) {
            if (line.startsWith("## ")) {
                if (cur != null) {
                    out.add(cur.toString());
                }
                cur = new StringBuilder();
            }
            if (cur != null) {
                cur.append(line).append('\n');
            }
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }

    /** docs/tour.md of this checkout (tests run in the module's directory). */
    static Path tour() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("docs/tour.md");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new AssertionError("docs/tour.md not found above " + Path.of("").toAbsolutePath());
    }
}
