package org.raftexample.raft;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;
import org.raftexample.raftpb.Entry;

/**
 * An unmodifiable window [from, to) onto an array of entries: the Java stand-in for the Go
 * slices that raft's log code passes around without copying.
 *
 * <p>A log that keeps its entries in an array hands out EntrySlices of it. The rule that keeps
 * those views valid forever (also while another thread reads them) is that a slot of an array
 * is written once: the owner may fill the spare room past its own slice ({@link #append}),
 * but anything that would overwrite a slot that was already visible, such as truncating the
 * log, goes to a new array ({@link #concat}).
 */
final class EntrySlice extends AbstractList<Entry> implements RandomAccess {
    static final EntrySlice EMPTY = new EntrySlice(new Backing(new Entry[0], 0), 0, 0);

    /** The array and how far it has been written; slots below {@code used} never change. */
    private static final class Backing {
        final Entry[] array;
        int used;

        Backing(Entry[] array, int used) {
            this.array = array;
            this.used = used;
        }
    }

    private final Backing backing;
    private final Entry[] array;
    private final int from;
    private final int to;

    private EntrySlice(Backing backing, int from, int to) {
        this.backing = backing;
        this.array = backing.array;
        this.from = from;
        this.to = to;
    }

    private static EntrySlice whole(Entry[] arr, int n) {
        return new EntrySlice(new Backing(arr, n), 0, n);
    }

    /** A slice of its own array holding the given entries, with room to grow. */
    static EntrySlice copyOf(List<Entry> ents) {
        return concat(EMPTY, ents);
    }

    /** A slice of a fresh array holding a followed by b; neither input is changed. */
    static EntrySlice concat(List<Entry> a, List<Entry> b) {
        int n = a.size() + b.size();
        if (n == 0) {
            return EMPTY;
        }
        Entry[] arr = new Entry[capacityFor(n)];
        fill(arr, 0, a);
        fill(arr, a.size(), b);
        return whole(arr, n);
    }

    /**
     * Like {@link #concat} but sized exactly, for results that will not grow (Go's extend):
     * returns a itself when b is empty.
     */
    static List<Entry> extend(List<Entry> a, List<Entry> b) {
        if (b.isEmpty()) {
            return a;
        }
        Entry[] arr = new Entry[a.size() + b.size()];
        fill(arr, 0, a);
        fill(arr, a.size(), b);
        return whole(arr, arr.length);
    }

    /**
     * Returns this slice followed by ents. When this slice ends where its array's written part
     * ends and the array has room, the room is filled in place (no view can see those slots
     * yet); otherwise the result is a bigger array, which also lets go of the entries before
     * {@code from}. Appends to one array must come from one thread at a time (the log that
     * owns it); readers of existing views may be on any thread.
     */
    EntrySlice append(List<Entry> ents) {
        int k = ents.size();
        if (k == 0) {
            return this;
        }
        if (to == backing.used && to + k <= array.length) {
            fill(array, to, ents);
            backing.used = to + k;
            return new EntrySlice(backing, from, to + k);
        }
        return concat(this, ents);
    }

    @Override
    public Entry get(int index) {
        if (index < 0 || index >= to - from) {
            throw new IndexOutOfBoundsException("index " + index + " out of [0," + (to - from) + ")");
        }
        return array[from + index];
    }

    @Override
    public int size() {
        return to - from;
    }

    /** A view sharing this slice's array, as cheap as reslicing in Go. */
    @Override
    public EntrySlice subList(int fromIndex, int toIndex) {
        if (fromIndex < 0 || toIndex > to - from || fromIndex > toIndex) {
            throw new IndexOutOfBoundsException("subList[" + fromIndex + "," + toIndex + ") of size " + (to - from));
        }
        if (fromIndex == toIndex) {
            return EMPTY;
        }
        return new EntrySlice(backing, from + fromIndex, from + toIndex);
    }

    @Override
    public Object[] toArray() {
        return Arrays.copyOfRange(array, from, to, Object[].class);
    }

    private static int capacityFor(int n) {
        // Room to grow as Go's append would leave, without doubling huge logs blindly.
        return n < 8 ? 8 : n + (n >> 1);
    }

    private static void fill(Entry[] arr, int at, List<Entry> src) {
        if (src instanceof EntrySlice s) {
            System.arraycopy(s.array, s.from, arr, at, s.to - s.from);
            return;
        }
        int i = at;
        for (Entry e : src) {
            arr[i++] = e;
        }
    }
}
