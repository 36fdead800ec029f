package dev.conveyor.localmongo;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Dotted field paths ({@code "progress.percent"}) split into their parts, remembered.
 *
 * <p>mongo-java-server splits a path on every field access of every query match and update,
 * with a regular expression and a stream, which was about a third of the local store's CPU per
 * job. {@link PathSplitAgent} points that method here. A path is split the same way as
 * upstream (the same pattern and stream, so empty and trailing parts come out identically)
 * the first time, then copied from the cache; callers get a list of their own, as before.
 * The cache stops growing at {@link #MAX_PATHS} paths (field names come from queries, which
 * are a small set; a client inventing paths cannot make it grow without bound).
 */
public final class PathSplits {

    /** Most paths remembered; later ones are split each time. */
    static final int MAX_PATHS = 10_000;

    private static final Pattern DOT = Pattern.compile("\\.");
    private static final ConcurrentHashMap<String, List<String>> SPLIT = new ConcurrentHashMap<>();

    private PathSplits() {}

    /** The parts of {@code path}, in a new mutable list. */
    public static List<String> split(String path) {
        List<String> parts = SPLIT.get(path);
        if (parts == null) {
            parts = DOT.splitAsStream(path).collect(Collectors.toList());
            if (SPLIT.size() < MAX_PATHS) {
                SPLIT.putIfAbsent(path, List.copyOf(parts));
            }
            return parts;
        }
        return new ArrayList<>(parts);
    }
}
