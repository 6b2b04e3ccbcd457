package org.raftexample.raft.datadriven;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One block of a datadriven script: the command line, the input lines under it and the output
 * expected after the {@code ----} separator.
 *
 * <p>The {@code scan*} helpers read an argument that must be present with exactly one value; they
 * throw an IllegalArgumentException naming the block's position and the key otherwise, so that a
 * malformed script points at its own line.
 */
public final class TestData {
    /** {@code file:line} of the command line, for messages. */
    public final String pos;
    /** The first word of the command line. */
    public final String cmd;

    public final List<CmdArg> cmdArgs;
    /** The lines between the command and the separator, with surrounding whitespace trimmed. */
    public final String input;
    /** The expected output; every line, the last included, ends with a newline (or it is empty). */
    public final String expected;

    public TestData(String pos, String cmd, List<CmdArg> cmdArgs, String input, String expected) {
        this.pos = pos;
        this.cmd = cmd;
        this.cmdArgs = List.copyOf(cmdArgs);
        this.input = input;
        this.expected = expected;
    }

    public boolean hasArg(String key) {
        return arg(key) != null;
    }

    /** The first argument named key, or null when the command line has none. */
    public CmdArg arg(String key) {
        for (CmdArg a : cmdArgs) {
            if (a.key().equals(key)) {
                return a;
            }
        }
        return null;
    }

    public String scanString(String key) {
        return single(key).vals().get(0);
    }

    public long scanLong(String key) {
        CmdArg a = single(key);
        try {
            return a.scanLong(0);
        } catch (IllegalArgumentException e) {
            throw failure(e.getMessage(), e);
        }
    }

    public int scanInt(String key) {
        CmdArg a = single(key);
        try {
            return a.scanInt(0);
        } catch (IllegalArgumentException e) {
            throw failure(e.getMessage(), e);
        }
    }

    public boolean scanBool(String key) {
        CmdArg a = single(key);
        try {
            return a.scanBool(0);
        } catch (IllegalArgumentException e) {
            throw failure(e.getMessage(), e);
        }
    }

    /** Every value of the argument as a 64-bit integer (for {@code voters=(1,2,3)}); the argument must be present. */
    public List<Long> scanLongs(String key) {
        CmdArg a = arg(key);
        if (a == null) {
            throw failure("missing argument: " + key, null);
        }
        List<Long> out = new ArrayList<>(a.vals().size());
        for (int i = 0; i < a.vals().size(); i++) {
            try {
                out.add(a.scanLong(i));
            } catch (IllegalArgumentException e) {
                throw failure(e.getMessage(), e);
            }
        }
        return out;
    }

    /** The command line as the script wrote it, normalised to single spaces. */
    public String cmdLine() {
        if (cmdArgs.isEmpty()) {
            return cmd;
        }
        return cmd + " " + cmdArgs.stream().map(CmdArg::toString).collect(Collectors.joining(" "));
    }

    private CmdArg single(String key) {
        CmdArg a = arg(key);
        if (a == null) {
            throw failure("missing argument: " + key, null);
        }
        if (a.vals().size() != 1) {
            throw failure(key + ": got 1 destinations, but " + a.vals().size() + " values", null);
        }
        return a;
    }

    private IllegalArgumentException failure(String message, Throwable cause) {
        return new IllegalArgumentException(pos + ": " + message, cause);
    }

    @Override
    public String toString() {
        return pos + ": " + cmdLine();
    }
}
