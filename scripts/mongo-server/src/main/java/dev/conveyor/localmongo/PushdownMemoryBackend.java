package dev.conveyor.localmongo;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractMongoCollection;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.EmptyIndex;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryMatcher;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import io.netty.channel.Channel;

/**
 * The in-memory backend with two planner improvements, so that the filters Conveyor's sweeps
 * and searches run stay cheap as the jobs collection grows.
 *
 * <ul>
 *   <li><b>Unique indexes narrow compound filters.</b> Upstream uses an index only when a
 *   filter's keys are exactly the index's keys, so a conditional update such as
 *   {@code {_id, status: "queued", attempts: 0}} scans the whole collection. MongoDB's planner
 *   narrows such a filter by the {@code _id} index and applies the rest to the one candidate;
 *   this backend does the same for any unique index whose keys all appear in the filter with
 *   an equality or {@code $in}.</li>
 *   <li><b>Secondary indexes exist.</b> Upstream ignores every non-unique index. Here each
 *   one keeps a {@link FieldIndex} of its leading key (MongoDB, too, can use an index only by
 *   a prefix of its keys). A filter with an equality, {@code $in}, range or
 *   {@code $exists: true} on an indexed field reads only the documents holding a matching
 *   value; of several such fields the one with the fewest candidates wins. Aggregations
 *   whose first stage is a {@code $match} are narrowed the same way.</li>
 *   <li><b>Updates cost one copy of the document, not five.</b> Upstream's update deep-clones
 *   the stored document, builds the updated one (a second deep clone), BSON-encodes both to
 *   track the collection's data size, and compares the two normalized, value by value, to
 *   count it modified. Here the updated document is built once, compared once, the old one
 *   kept as a shallow copy (the update never touches the stored values; it builds new ones)
 *   and the data size is not tracked ({@code collStats} reports 0; nothing in Conveyor reads
 *   it). {@code findAndModify} and upserts take upstream's path unchanged.</li>
 * </ul>
 *
 * <p>Either way the whole filter is still applied to every candidate, and each collection
 * stays synchronized as upstream, so results and atomicity are unchanged: an index narrows,
 * it never decides.
 */
final class PushdownMemoryBackend extends MemoryBackend {

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new Database(databaseName, getCursorRegistry());
    }

    /** The {@code $match} of the aggregation being run on this thread, for its collection. */
    private static final ThreadLocal<Document[]> AGGREGATION_MATCH = new ThreadLocal<>();

    private static final class Database extends MemoryDatabase {
        Database(String databaseName, CursorRegistry cursorRegistry) {
            super(databaseName, cursorRegistry);
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new PushdownCollection(this, collectionName, options, cursorRegistry);
        }

        @Override
        protected Index<Integer> openOrCreateSecondaryIndex(String collectionName, String indexName,
                                                            List<IndexKey> keys, boolean sparse) {
            if (resolveOrCreateCollection(collectionName) instanceof PushdownCollection collection) {
                collection.indexField(keys.get(0).getKey());
            }
            // n.b. upstream's placeholder keeps the index listed (listIndexes, dropIndex) and
            // does nothing else; the field index above does the work
            return new EmptyIndex<>(indexName, keys);
        }

        @Override
        public Document handleCommand(Channel channel, String command, Document query,
                                      DatabaseResolver databaseResolver, Oplog oplog) {
            Document match = command.equalsIgnoreCase("aggregate") ? leadingMatch(query.get("pipeline")) : null;
            if (match == null) {
                return super.handleCommand(channel, command, query, databaseResolver, oplog);
            }
            String collection = getDatabaseName() + "." + query.get(command);
            AGGREGATION_MATCH.set(new Document[] {new Document("ns", collection), match});
            try {
                return super.handleCommand(channel, command, query, databaseResolver, oplog);
            } finally {
                AGGREGATION_MATCH.remove();
            }
        }

        /** The first stage's {@code $match} filter when it is a plain one the planner can use. */
        private static Document leadingMatch(Object pipeline) {
            if (!(pipeline instanceof List<?> stages) || stages.isEmpty()
                || !(stages.get(0) instanceof Document first) || !(first.get("$match") instanceof Document match)) {
                return null;
            }
            // n.b. the planner narrows by field conditions and $and only, and ignores $or,
            // $expr and the like (the stage still applies the whole filter)
            return match;
        }
    }

    private static final class PushdownCollection extends MemoryCollection {
        /** Below this many documents a scan is as cheap as planning. */
        private static final int PLAN_THRESHOLD = 64;

        private final Map<String, FieldIndex> fieldIndexes = new LinkedHashMap<>();

        /** Upstream's private builder of an updated document (a deep copy with the update applied). */
        private static final Method CALCULATE_UPDATE = updateBuilder();

        private final QueryMatcher matcher = new DefaultQueryMatcher();

        PushdownCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                           CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
        }

        private static Method updateBuilder() {
            try {
                Method m = AbstractMongoCollection.class.getDeclaredMethod("calculateUpdateDocument",
                    Document.class, Document.class, ArrayFilters.class, Integer.class, boolean.class);
                m.setAccessible(true);
                return m;
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("mongo-java-server changed: no calculateUpdateDocument", e);
            }
        }

        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        public synchronized Document updateDocuments(Document selector, Document updateQuery,
                                                     ArrayFilters arrayFilters, boolean isMulti,
                                                     boolean isUpsert, Oplog oplog) {
            if (isUpsert) {
                return super.updateDocuments(selector, updateQuery, arrayFilters, isMulti, true, oplog);
            }
            if (isMulti) {
                for (String key : updateQuery.keySet()) {
                    if (!key.startsWith("$")) {
                        // n.b. upstream's path raises the error MongoDB gives
                        return super.updateDocuments(selector, updateQuery, arrayFilters, true, false, oplog);
                    }
                }
            }
            int matched = 0;
            List<Object> updatedIds = new ArrayList<>();
            for (Document document : queryDocuments(selector, null, 0, 0, 0, null)) {
                Integer matchPos = matcher.matchPosition(document, selector);
                if (updateOne(document, updateQuery, arrayFilters, matchPos)) {
                    updatedIds.add(document.get(getIdField()));
                }
                matched++;
                if (!isMulti) {
                    break;
                }
            }
            oplog.handleUpdate(getFullName(), selector, updateQuery, updatedIds);
            Document result = new Document();
            result.put("n", Integer.valueOf(matched));
            result.put("nModified", Integer.valueOf(updatedIds.size()));
            return result;
        }

        /** Applies the update to the stored {@code document} in place; answers whether it changed. */
        private boolean updateOne(Document document, Document updateQuery, ArrayFilters arrayFilters,
                                  Integer matchPos) {
            Document updated;
            try {
                updated = (Document) CALCULATE_UPDATE.invoke(this, document, updateQuery, arrayFilters, matchPos, false);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            if (updated.equals(document)) {
                return false;
            }
            Document old = new Document(document);
            for (Index<Integer> index : getIndexes()) {
                index.checkUpdate(old, updated, this);
            }
            Integer position = positionOf(old);
            for (Index<Integer> index : getIndexes()) {
                index.updateInPlace(old, updated, position, this);
            }
            document.keySet().retainAll(updated.keySet());
            for (String key : updated.keySet()) {
                document.put(key, updated.get(key));
            }
            handleUpdate(position, old, document);
            return true;
        }

        private Integer positionOf(Document document) {
            for (Index<Integer> index : getIndexes()) {
                Integer position = index.getPosition(document);
                if (position != null) {
                    return position;
                }
            }
            return findDocumentPosition(document);
        }

        /** Starts indexing {@code path} (idempotent), building it from the documents stored now. */
        synchronized void indexField(String path) {
            if (fieldIndexes.containsKey(path)) {
                return;
            }
            FieldIndex index = new FieldIndex(path);
            streamAllDocumentsWithPosition().forEach(stored -> index.add(stored.getDocument(), stored.getPosition()));
            fieldIndexes.put(path, index);
        }

        @Override
        protected Integer addDocumentInternal(Document document) {
            Integer position = super.addDocumentInternal(document);
            for (FieldIndex index : fieldIndexes.values()) {
                index.add(document, position);
            }
            return position;
        }

        @Override
        protected void removeDocument(Integer position) {
            Document document = getDocument(position);
            if (document != null) {
                for (FieldIndex index : fieldIndexes.values()) {
                    index.remove(document, position);
                }
            }
            super.removeDocument(position);
        }

        @Override
        protected void handleUpdate(Integer position, Document oldDocument, Document newDocument) {
            super.handleUpdate(position, oldDocument, newDocument);
            for (FieldIndex index : fieldIndexes.values()) {
                index.update(oldDocument, newDocument, position);
            }
        }

        @Override
        public Stream<Document> queryAllAsStream() {
            Document[] hint = AGGREGATION_MATCH.get();
            if (hint != null && getFullName().equals(hint[0].get("ns"))) {
                AGGREGATION_MATCH.remove(); // n.b. once: a $lookup back into this collection scans
                List<Integer> positions = plan(hint[1], null);
                if (positions != null) {
                    synchronized (this) {
                        // the $match stage applies the filter; this only skips what cannot match
                        List<Document> documents = new ArrayList<>(positions.size());
                        for (Integer position : positions) {
                            Document document = getDocument(position);
                            if (document != null) {
                                documents.add(document);
                            }
                        }
                        return documents.stream();
                    }
                }
            }
            return super.queryAllAsStream();
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            if (query.size() > 1) {
                for (Index<Integer> index : getIndexes()) {
                    Document narrowed = narrowTo(index, query);
                    if (narrowed != null && index.canHandle(narrowed)) {
                        return matchDocuments(query, index.getPositions(narrowed), orderBy, numberToSkip, limit,
                            batchSize, fieldSelector);
                    }
                }
            }
            List<Integer> positions = plan(query, orderBy);
            if (positions != null) {
                return matchDocuments(query, positions, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            }
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }

        /**
         * The positions, ascending, of the only documents that can match {@code query}, by the
         * field index with the fewest candidates; null to scan (nothing indexed applies, or the
         * best index would not skip at least half of the collection).
         */
        private synchronized List<Integer> plan(Document query, Document orderBy) {
            if (fieldIndexes.isEmpty() || query.isEmpty() || (orderBy != null && orderBy.containsKey("$natural"))) {
                return null;
            }
            int size = count();
            if (size < PLAN_THRESHOLD) {
                return null;
            }
            FieldIndex.Candidates best = null;
            for (Map.Entry<String, Object> condition : conditions(query)) {
                FieldIndex index = fieldIndexes.get(condition.getKey());
                if (index == null) {
                    continue;
                }
                FieldIndex.Candidates candidates = index.candidates(condition.getValue());
                if (candidates != null && (best == null || candidates.estimate() < best.estimate())) {
                    best = candidates;
                }
            }
            if (best == null || best.estimate() > size / 2) {
                return null;
            }
            return best.positions();
        }

        /** The filter's field conditions that all must hold: its own and those of a top-level $and. */
        private static List<Map.Entry<String, Object>> conditions(Document query) {
            List<Map.Entry<String, Object>> conditions = new ArrayList<>();
            for (Map.Entry<String, Object> entry : query.entrySet()) {
                if (entry.getKey().equals("$and") && entry.getValue() instanceof List<?> parts) {
                    for (Object part : parts) {
                        if (part instanceof Document sub) {
                            conditions.addAll(conditions(sub));
                        }
                    }
                } else if (!entry.getKey().startsWith("$")) {
                    conditions.add(entry);
                }
            }
            return conditions;
        }

        /** The part of {@code query} on the index's keys, or null when it cannot narrow by them. */
        private static Document narrowTo(Index<Integer> index, Document query) {
            if (index.getKeys().size() != 1) {
                return null; // n.b. upstream's compound unique indexes only answer exact equality
            }
            String key = index.getKeys().get(0).getKey();
            if (!query.containsKey(key)) {
                return null;
            }
            Object value = query.get(key);
            if (value instanceof Document condition && !isInOnly(condition)) {
                return null;
            }
            return new Document(key, value);
        }

        private static boolean isInOnly(Document condition) {
            if (condition.size() != 1) {
                return false;
            }
            Map.Entry<String, Object> only = condition.entrySet().iterator().next();
            return only.getKey().equals("$in") && only.getValue() instanceof Collection<?>;
        }
    }
}
