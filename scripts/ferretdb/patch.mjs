// Applies Conveyor's patches to a copy of the FerretDB 1.24 sources before the local build
// (scripts/infra.sh). Each patch replaces exact text and fails loudly when the text is not
// there, so a changed upstream version cannot be patched by accident.
//
//   node scripts/ferretdb/patch.mjs <ferretdb source dir>
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = process.argv[2];
if (!src) throw new Error('usage: patch.mjs <ferretdb source dir>');
const here = dirname(fileURLToPath(import.meta.url));

function replace(file, before, after) {
  const path = join(src, file);
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(before);
  if (at < 0 || text.indexOf(before, at + 1) >= 0)
    throw new Error(`patch does not apply: expected text not found exactly once in ${file}`);
  writeFileSync(path, text.replace(before, after));
}

// 1. id-index: the unique `_id` index is declared on `_ferretdb_sjson->"_id"`, but every
//    lookup by _id uses `_ferretdb_sjson->'$._id'` (metadata.IDColumn). SQLite uses an
//    expression index only for the identical expression, so lookups scanned the table.
replace(
  'internal/backends/sqlite/metadata/registry.go',
  '\t\t\tcolumns[i] = fmt.Sprintf("%s->%s", DefaultColumn, strings.Join(fields, "->"))\n',
  '\t\t\tif key.Field == "_id" {\n' +
    '\t\t\t\tcolumns[i] = IDColumn\n' +
    '\t\t\t} else {\n' +
    '\t\t\t\tcolumns[i] = fmt.Sprintf("%s->%s", DefaultColumn, strings.Join(fields, "->"))\n' +
    '\t\t\t}\n',
);

// 2. id-pushdown: queries narrowed by `_id` only when the filter was exactly `{_id: value}`;
//    `{_id: v, rev: n}` or `{_id: {$in: [...]}}` read and decoded every document. Push the
//    `_id` part of any filter down (the handler re-applies the full filter to what comes back).
replace(
  'internal/backends/sqlite/collection.go',
  [
    '\t// that logic should exist in one place',
    '\t// TODO https://github.com/FerretDB/FerretDB/issues/3235',
    '\tif params.Filter.Len() == 1 {',
    '\t\tv, _ := params.Filter.Get("_id")',
    '\t\tswitch v.(type) {',
    '\t\tcase string, types.ObjectID:',
    '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
    '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
    '\t\t}',
    '\t}',
    '',
    '\tq += whereClause',
  ].join('\n'),
  '\twhereClause, args = idPushdown(params.Filter)\n\n\tq += whereClause',
);
// 3. write-queue: every insert and update runs in a transaction that takes SQLite's write
//    lock at BEGIN (`_txlock=immediate`); with many writers, the ones that find it taken sleep
//    in SQLite's busy handler (1, 2, 5, 10, 15, 20, 25 ms...) even when the lock frees in a
//    fraction of a millisecond. Queue the transactions of one database in the process
//    instead, so the next writer starts the moment the previous one commits.
replace(
  'internal/util/fsql/db.go',
  '\t"log/slog"\n\t"time"\n',
  '\t"log/slog"\n\t"sync"\n\t"time"\n',
);
replace(
  'internal/util/fsql/db.go',
  '\tsqlDB     *sql.DB\n',
  '\twriteMu   sync.Mutex\n\tsqlDB     *sql.DB\n',
);
replace(
  'internal/util/fsql/db.go',
  'func (db *DB) InTransaction(ctx context.Context, f func(*Tx) error) (err error) {\n',
  'func (db *DB) InTransaction(ctx context.Context, f func(*Tx) error) (err error) {\n' +
    '\tdb.writeMu.Lock()\n\tdefer db.writeMu.Unlock()\n\n',
);
copyFileSync(
  join(here, 'id_pushdown.go.txt'),
  join(src, 'internal/backends/sqlite/conveyor_id_pushdown.go'),
);
console.log('ferretdb: patched (id-index, id-pushdown, write-queue)');
