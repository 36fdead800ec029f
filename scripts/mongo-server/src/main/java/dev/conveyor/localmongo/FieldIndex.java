package dev.conveyor.localmongo;

import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * A non-unique index of one field path: each value the field holds maps to the positions of
 * the documents holding it. An array indexes each of its elements (a multikey index), so
 * {@code {searchKeys: "to=a@x"}} finds the documents whose array contains that key.
 *
 * <p>The index only ever <em>narrows</em>: {@link #candidates} returns a superset of the
 * documents a condition can match, and the caller still applies the whole filter to each
 * candidate. So a condition it does not understand is never answered wrongly; it is just not
 * narrowed ({@code null}), and the caller scans as upstream does.
 *
 * <p>Not thread-safe: the owning collection calls it under its own lock.
 */
final class FieldIndex {

    /** The key of documents without the field. */
    private static final Object MISSING = sentinel("<missing>");
    /** The key of an explicit null (or a null array element). */
    private static final Object NULL = sentinel("<null>");
    /** The key of an empty array: it matches neither a value nor null, but it exists. */
    private static final Object EMPTY_ARRAY = sentinel("<[]>");

    /** The key of documents and arrays: never narrowed by equality, but present. */
    private static final Object OTHER = sentinel("<document or array>");

    /** A key no document value can equal (compared by identity), named for debugging. */
    private static Object sentinel(String name) {
        return new Object() {
            @Override
            public String toString() {
                return name;
            }
        };
    }

    /** Sets of up to this many positions stay a sorted int array; bigger ones become a bitset. */
    private static final int SMALL_SET = 32;

    private final String path;
    /** value → Integer (one position), int[] (a few, sorted, first slot is the size) or BitSet. */
    private final Map<Object, Object> positionsByValue = new HashMap<>();
    /** The date keys in order, for ranges (a date range matches dates only). */
    private final java.util.NavigableSet<java.time.Instant> dateKeys = new java.util.TreeSet<>();
    /** The number keys that are doubles, in order, for ranges. */
    private final java.util.NavigableSet<Double> numberKeys = new java.util.TreeSet<>();
    /** Longs too big for a double (kept as they are): every number range includes them. */
    private final Set<Long> bigLongKeys = new java.util.HashSet<>();

    FieldIndex(String path) {
        this.path = path;
    }

    String path() {
        return path;
    }

    void add(Document document, int position) {
        for (Object key : keysOf(document)) {
            addKey(key, position);
        }
    }

    private void addKey(Object key, int position) {
        Object existing = positionsByValue.get(key);
        if (existing == null) {
            positionsByValue.put(key, position);
            if (key instanceof java.time.Instant instant) {
                dateKeys.add(instant);
            } else if (key instanceof Double number) {
                numberKeys.add(number);
            } else if (key instanceof Long big) {
                bigLongKeys.add(big);
            }
        } else {
            Object grown = withPosition(existing, position);
            if (grown != existing) {
                positionsByValue.put(key, grown);
            }
        }
    }

    private void removeKey(Object key, int position) {
        Object existing = positionsByValue.get(key);
        if (existing == null) {
            return;
        }
        Object remaining = withoutPosition(existing, position);
        if (remaining == null) {
            positionsByValue.remove(key);
            if (key instanceof java.time.Instant instant) {
                dateKeys.remove(instant);
            } else if (key instanceof Double number) {
                numberKeys.remove(number);
            } else if (key instanceof Long big) {
                bigLongKeys.remove(big);
            }
        } else if (remaining != existing) {
            positionsByValue.put(key, remaining);
        }
    }

    void remove(Document document, int position) {
        for (Object key : keysOf(document)) {
            removeKey(key, position);
        }
    }

    /** Moves a document from its old keys to its new ones, touching only keys that changed. */
    void update(Document oldDocument, Document newDocument, int position) {
        Set<Object> oldKeys = keysOf(oldDocument);
        Set<Object> newKeys = keysOf(newDocument);
        if (oldKeys.equals(newKeys)) {
            return;
        }
        for (Object key : oldKeys) {
            if (!newKeys.contains(key)) {
                removeKey(key, position);
            }
        }
        for (Object key : newKeys) {
            if (!oldKeys.contains(key)) {
                addKey(key, position);
            }
        }
    }

    /**
     * The positions a condition on this field can match (a superset), or {@code null} when this
     * index cannot narrow it. {@code condition} is the filter's value for this field: a plain
     * value (equality), or an operator document.
     */
    Candidates candidates(Object condition) {
        if (condition instanceof Document operators) {
            if (operators.isEmpty() || !operators.keySet().iterator().next().startsWith("$")) {
                return null; // equality with an embedded document
            }
            if (operators.containsKey("$eq")) {
                return equalTo(operators.get("$eq"));
            }
            if (operators.get("$in") instanceof Collection<?> values) {
                Candidates union = new Candidates();
                for (Object value : values) {
                    Candidates one = equalTo(value);
                    if (one == null) {
                        return null;
                    }
                    union.addAll(one);
                }
                return union;
            }
            if (operators.get("$all") instanceof Collection<?> values && !values.isEmpty()) {
                // n.b. every value must be there: the rarest one's documents are a superset
                Candidates rarest = null;
                for (Object value : values) {
                    Candidates one = equalTo(value);
                    if (one != null && (rarest == null || one.estimate() < rarest.estimate())) {
                        rarest = one;
                    }
                }
                return rarest;
            }
            boolean range = false;
            for (String operator : List.of("$gt", "$gte", "$lt", "$lte")) {
                if (operators.containsKey(operator)) {
                    if (Missing.isNullOrMissing(operators.get(operator))) {
                        return null; // n.b. {$lte: null} matches null and missing fields
                    }
                    range = true;
                }
            }
            if (range) {
                Candidates sorted = sortedRange(operators);
                return sorted != null ? sorted : everyKeyExcept(MISSING, NULL);
            }
            if (Boolean.TRUE.equals(operators.get("$exists"))) {
                return everyKeyExcept(MISSING, null);
            }
            return null;
        }
        return equalTo(condition);
    }

    /**
     * A range over dates or numbers read from the ordered keys: MongoDB compares within a type
     * only, so {@code {$gte: <date>}} can match dates alone. Null when the bounds are of
     * other or mixed types (the caller then takes every present key).
     */
    private Candidates sortedRange(Document operators) {
        Object low = null;
        Object high = null;
        boolean lowInclusive = true;
        boolean highInclusive = true;
        for (Map.Entry<String, Object> entry : operators.entrySet()) {
            switch (entry.getKey()) {
                case "$gt", "$gte" -> {
                    low = normalize(entry.getValue());
                    lowInclusive = entry.getKey().equals("$gte");
                }
                case "$lt", "$lte" -> {
                    high = normalize(entry.getValue());
                    highInclusive = entry.getKey().equals("$lte");
                }
                default -> {
                    // n.b. other operators only narrow further; the matcher applies them
                }
            }
        }
        Object probe = low != null ? low : high;
        if (probe instanceof java.time.Instant) {
            if ((low != null && !(low instanceof java.time.Instant))
                || (high != null && !(high instanceof java.time.Instant))) {
                return null;
            }
            Candidates result = new Candidates();
            for (java.time.Instant key : slice(dateKeys, (java.time.Instant) low, lowInclusive,
                (java.time.Instant) high, highInclusive)) {
                result.add(positionsByValue.get(key));
            }
            return result;
        }
        if (probe instanceof Double) {
            if ((low != null && !(low instanceof Double)) || (high != null && !(high instanceof Double))) {
                return null;
            }
            Candidates result = new Candidates();
            for (Double key : slice(numberKeys, (Double) low, lowInclusive, (Double) high, highInclusive)) {
                result.add(positionsByValue.get(key));
            }
            for (Long key : bigLongKeys) {
                result.add(positionsByValue.get(key));
            }
            return result;
        }
        return null;
    }

    private static <T> java.util.NavigableSet<T> slice(java.util.NavigableSet<T> keys, T low, boolean lowInclusive,
                                                       T high, boolean highInclusive) {
        if (low != null && high != null) {
            if (((Comparable<T>) low).compareTo(high) > 0) {
                return java.util.Collections.emptyNavigableSet();
            }
            return keys.subSet(low, lowInclusive, high, highInclusive);
        }
        if (low != null) {
            return keys.tailSet(low, lowInclusive);
        }
        return keys.headSet(high, highInclusive);
    }

    private Candidates equalTo(Object value) {
        if (value == null) {
            Candidates result = new Candidates();
            result.add(positionsByValue.get(NULL));
            result.add(positionsByValue.get(MISSING));
            return result;
        }
        if (!isPlainValue(value)) {
            return null; // regular expressions, arrays, documents: leave them to the scan
        }
        Candidates result = new Candidates();
        result.add(positionsByValue.get(normalize(value)));
        return result;
    }

    private Candidates everyKeyExcept(Object excluded, Object alsoExcluded) {
        Candidates result = new Candidates();
        for (Map.Entry<Object, Object> entry : positionsByValue.entrySet()) {
            Object key = entry.getKey();
            if (key != excluded && key != alsoExcluded) {
                result.add(entry.getValue());
            }
        }
        return result;
    }

    private Set<Object> keysOf(Document document) {
        Object value = Utils.getSubdocumentValueCollectionAware(document, path);
        Set<Object> keys = new LinkedHashSet<>(2);
        if (value instanceof Missing) {
            keys.add(MISSING);
        } else if (value == null) {
            keys.add(NULL);
        } else if (value instanceof Collection<?> elements) {
            if (elements.isEmpty()) {
                keys.add(EMPTY_ARRAY);
            }
            for (Object element : elements) {
                keys.add(element instanceof Missing ? MISSING : element == null ? NULL : normalize(element));
            }
        } else {
            keys.add(normalize(value));
        }
        return keys;
    }

    private static boolean isPlainValue(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean
            || value instanceof java.time.Instant || value instanceof java.util.Date
            || value instanceof ObjectId || value instanceof java.util.UUID;
    }

    /** Numbers compare by value whatever their BSON type (as the matcher does); the rest as is. */
    private static Object normalize(Object value) {
        if (value instanceof Long longValue && longValue != (long) longValue.doubleValue()) {
            return value;
        }
        if (value instanceof Number number) {
            double d = number.doubleValue();
            return d == 0.0 ? Double.valueOf(0.0) : Double.valueOf(d); // n.b. -0.0 equals 0.0
        }
        if (value instanceof java.util.Date date) {
            return date.toInstant();
        }
        if (isPlainValue(value)) {
            return value;
        }
        // n.b. documents and arrays are mutable and compared by content: one shared key for
        // all of them keeps the map's keys stable (equality on them is never narrowed)
        return OTHER;
    }

    private static Object withPosition(Object existing, int position) {
        if (existing instanceof Integer single) {
            if (single == position) {
                return existing;
            }
            int[] small = new int[SMALL_SET + 1];
            small[0] = 2;
            small[1] = Math.min(single, position);
            small[2] = Math.max(single, position);
            return small;
        }
        if (existing instanceof int[] small) {
            int size = small[0];
            int at = java.util.Arrays.binarySearch(small, 1, size + 1, position);
            if (at >= 0) {
                return small;
            }
            if (size == SMALL_SET) {
                BitSet bits = new BitSet();
                for (int i = 1; i <= size; i++) {
                    bits.set(small[i]);
                }
                bits.set(position);
                return bits;
            }
            int insertAt = -at - 1;
            System.arraycopy(small, insertAt, small, insertAt + 1, size + 1 - insertAt);
            small[insertAt] = position;
            small[0] = size + 1;
            return small;
        }
        ((BitSet) existing).set(position);
        return existing;
    }

    /** The set without {@code position}: the same object changed, another one, or null when empty. */
    private static Object withoutPosition(Object existing, int position) {
        if (existing instanceof Integer single) {
            return single == position ? null : existing;
        }
        if (existing instanceof int[] small) {
            int size = small[0];
            int at = java.util.Arrays.binarySearch(small, 1, size + 1, position);
            if (at < 0) {
                return small;
            }
            System.arraycopy(small, at + 1, small, at, size - at);
            small[0] = size - 1;
            if (size - 1 == 1) {
                return Integer.valueOf(small[1]);
            }
            return small;
        }
        BitSet bits = (BitSet) existing;
        bits.clear(position);
        return bits.isEmpty() ? null : bits;
    }

    /** A union of position sets, counted before it is materialized in ascending order. */
    static final class Candidates {
        private final List<Object> sets = new java.util.ArrayList<>();
        private long estimate;

        void add(Object positions) {
            if (positions == null) {
                return;
            }
            sets.add(positions);
            if (positions instanceof Integer) {
                estimate += 1;
            } else if (positions instanceof int[] small) {
                estimate += small[0];
            } else {
                estimate += ((BitSet) positions).cardinality();
            }
        }

        void addAll(Candidates other) {
            sets.addAll(other.sets);
            estimate += other.estimate;
        }

        /** An upper bound of the number of positions (exact unless sets overlap). */
        long estimate() {
            return estimate;
        }

        /** The positions in ascending order, each once: the order a full scan visits them in. */
        List<Integer> positions() {
            if (sets.size() == 1 && sets.get(0) instanceof Integer single) {
                return List.of(single);
            }
            BitSet union = new BitSet();
            for (Object positions : sets) {
                if (positions instanceof Integer single) {
                    union.set(single);
                } else if (positions instanceof int[] small) {
                    for (int i = 1; i <= small[0]; i++) {
                        union.set(small[i]);
                    }
                } else {
                    union.or((BitSet) positions);
                }
            }
            List<Integer> result = new java.util.ArrayList<>(union.cardinality());
            for (int p = union.nextSetBit(0); p >= 0; p = union.nextSetBit(p + 1)) {
                result.add(p);
            }
            return result;
        }
    }
}
