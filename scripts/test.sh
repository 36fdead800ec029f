#!/usr/bin/env bash
# The test command: typecheck + build, lint, then every jest project (unit and integration).
# Integration tests need RABBITMQ_URL / MONGO_URL / SMTP_CATCHER_URL (printed by `pnpm infra:up`,
# and read from .infra/env when present), or a Docker engine for Testcontainers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .infra/env ]; then set -a; . ./.infra/env; set +a; fi
pnpm -s build
pnpm -s lint
exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --forceExit "$@"
