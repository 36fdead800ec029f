#!/usr/bin/env bash
# Packs the public SDK packages as a user installs them: builds them, then `pnpm pack`s into
# the git-ignored .packs/ each public package (@conveyor/client, and @conveyor/sdk once it
# exists) and every workspace package they depend on (@conveyor/contracts, /platform, /jobs).
# `pnpm pack` rewrites `workspace:*` to the real versions; this script checks that no
# workspace-only specifier is left in any tarball.
#
# The tarballs are named without their version (.packs/conveyor-client.tgz, ...), so an app
# can depend on them with stable `file:` paths (examples/tasks-app does). List every tarball
# an app uses among its own dependencies: npm then takes them for the packages' dependencies
# on each other too, instead of looking for @conveyor/* on the registry.
#
# Usage: scripts/pack-sdk.sh [--verify]
#   --verify  also installs every tarball with plain `npm install` into a temporary directory
#             outside the repository (no workspace links) and imports each package's entry
#             points from there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PACKS="$ROOT/.packs"
VERIFY=0
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY=1 ;;
    *) echo "usage: scripts/pack-sdk.sh [--verify]" >&2 && exit 2 ;;
  esac
done
log() { printf '[pack-sdk] %s\n' "$*"; }

# The public packages, then the workspace packages they depend on (transitively), in
# dependency order (dependencies first).
# Until packages/sdk exists, its building blocks are packed by themselves (jobs needs the rest).
PUBLIC=(packages/client)
if [ -f packages/sdk/package.json ]; then PUBLIC+=(packages/sdk); else PUBLIC+=(packages/jobs); fi
mapfile -t DIRS < <(node --input-type=module - "${PUBLIC[@]}" <<'EOF'
import { readFileSync, readdirSync, existsSync } from 'node:fs';
const roots = process.argv.slice(2);
const byName = new Map();
for (const group of ['packages', 'services']) {
  for (const d of readdirSync(group)) {
    const file = `${group}/${d}/package.json`;
    if (existsSync(file)) byName.set(JSON.parse(readFileSync(file, 'utf8')).name, `${group}/${d}`);
  }
}
const order = [];
const visit = (dir) => {
  if (order.includes(dir)) return;
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  for (const [name, spec] of Object.entries(pkg.dependencies ?? {})) {
    if (!String(spec).startsWith('workspace:')) continue;
    const dep = byName.get(name);
    if (!dep) throw new Error(`${dir} depends on ${name}, which is not in the workspace`);
    visit(dep);
  }
  if (pkg.private) throw new Error(`${dir} (${pkg.name}) is private: it cannot be packed for users`);
  order.push(dir);
};
roots.forEach(visit);
console.log(order.join('\n'));
EOF
)
log "packages: ${DIRS[*]}"

log "build (tsc -b)"
pnpm exec tsc -b "${DIRS[@]}"

rm -rf "$PACKS"
mkdir -p "$PACKS"
for dir in "${DIRS[@]}"; do
  name="$(node -p "require('./$dir/package.json').name")"
  version="$(node -p "require('./$dir/package.json').version")"
  (cd "$dir" && pnpm pack --pack-destination "$PACKS" >/dev/null)
  packed="$PACKS/$(echo "${name#@}" | tr / -)-$version.tgz"
  target="$PACKS/$(echo "${name#@}" | tr / -).tgz"
  mv "$packed" "$target"
  manifest="$(tar -xOzf "$target" package/package.json)"
  if grep -q '"workspace:' <<<"$manifest"; then
    echo "$target still has workspace: specifiers:" >&2
    grep '"workspace:' <<<"$manifest" >&2
    exit 1
  fi
  if tar -tzf "$target" | grep -Eq '\.(int\.)?test\.|/testing/|tsbuildinfo'; then
    echo "$target contains tests or test support:" >&2
    tar -tzf "$target" | grep -E '\.(int\.)?test\.|/testing/|tsbuildinfo' >&2
    exit 1
  fi
  log "$name@$version -> ${target#"$ROOT"/} ($(du -k "$target" | cut -f1) KiB)"
done

[ "$VERIFY" = 1 ] || exit 0

# An install as a user makes it: plain npm, outside the repository, from the tarballs only.
TMP="$(mktemp -d -t conveyor-pack-verify-XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
log "verify: npm install into $TMP"
node - "$TMP" "$PACKS" "${DIRS[@]}" <<'EOF'
const { writeFileSync, readFileSync } = require('node:fs');
const [tmp, packs, ...dirs] = process.argv.slice(2);
const dependencies = {};
for (const dir of dirs) {
  const { name } = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  dependencies[name] = `file:${packs}/${name.slice(1).replace('/', '-')}.tgz`;
}
writeFileSync(
  `${tmp}/package.json`,
  JSON.stringify({ name: 'pack-verify', private: true, type: 'module', dependencies }, null, 2),
);
EOF
(cd "$TMP" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
for dir in "${DIRS[@]}"; do
  name="$(node -p "require('./$dir/package.json').name")"
  if [ -L "$TMP/node_modules/$name" ]; then
    echo "$name is a link in the verify install, not an installed copy" >&2
    exit 1
  fi
done
# Every entry point of every package, except test support.
(cd "$TMP" && node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const deps = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).dependencies);
  for (const name of deps) {
    const pkg = JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8"));
    for (const sub of Object.keys(pkg.exports ?? { ".": null })) {
      if (sub.includes("testing")) continue;
      const spec = sub === "." ? name : `${name}/${sub.slice(2)}`;
      const mod = await import(spec);
      console.log(`[pack-sdk] verify: import ${spec}: ${Object.keys(mod).length} exports`);
    }
  }
')
log "verify: ok"
