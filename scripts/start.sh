#!/usr/bin/env bash
# One command from a fresh clone to the whole system running (`npm start` or `pnpm start`):
# installs pnpm and the dependencies when missing, builds, starts the local servers
# (RabbitMQ, the local MongoDB-wire server, the SMTP catcher; installed from Debian's archive
# and Maven Central on first use) and then the services (scripts/dev.sh), which print
# the URLs and a dev token once ready. Run again, it reuses what is installed, built and
# running. Ctrl-C stops the services; the local servers keep running (`pnpm infra:down`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
step() { printf '\n[start] %s\n' "$*"; }

node -e 'const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 11)) { console.error(`Node.js >= 20.11 required, found ${process.version}`); process.exit(1); }'
command -v curl >/dev/null || {
  step "installing curl"
  apt-get install -y -qq curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
}
ensure_pnpm
step "dependencies (pnpm install)"
pnpm install --frozen-lockfile
step "build (tsc -b)"
pnpm -s build
step "local servers (scripts/infra.sh up)"
bash scripts/infra.sh up
step "services (scripts/dev.sh)"
exec bash scripts/dev.sh
