package dev.conveyor.localmongo;

import java.util.Collection;
import java.util.Map;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;

/**
 * The in-memory backend with one planner improvement. Upstream uses an index only when a
 * filter's keys are exactly the index's keys, so a conditional update such as
 * {@code {_id, status: "queued", attempts: 0}} scans the whole collection. MongoDB's planner
 * narrows such a filter by the {@code _id} index and applies the rest to the one candidate;
 * this backend does the same for any unique index whose keys all appear in the filter with
 * an equality or {@code $in}. The whole filter is still applied to every candidate, and each
 * collection stays synchronized as upstream, so results and atomicity are unchanged.
 */
final class PushdownMemoryBackend extends MemoryBackend {

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new Database(databaseName, getCursorRegistry());
    }

    private static final class Database extends MemoryDatabase {
        Database(String databaseName, CursorRegistry cursorRegistry) {
            super(databaseName, cursorRegistry);
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new PushdownCollection(this, collectionName, options, cursorRegistry);
        }
    }

    private static final class PushdownCollection extends MemoryCollection {
        PushdownCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                           CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
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
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
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
