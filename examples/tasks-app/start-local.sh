#!/usr/bin/env bash
# Runs the tasks app against the Conveyor that `npm start` (or `pnpm infra:up && pnpm dev`)
# runs from this checkout: packs the SDK and client (scripts/pack-sdk.sh), installs them
# here from the tarballs with npm, compiles the app with tsc, and starts its web part and
# worker in one process on PORT (4000).
#
# Reads RABBITMQ_URL and MONGO_URL from ../../.infra/env (written by `pnpm infra:up`), and
# mints the app's token with the checkout's dev token command (sub `tasks-app`). Variables
# given on the command line win: CONVEYOR_URL (http://127.0.0.1:3000), CONVEYOR_TOKEN, PORT,
# METRICS_PORT (the worker's /metrics, 9464), REMINDER_CRON, REMINDER_TIMEZONE.
set -euo pipefail
APP="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$APP/../.." && pwd)"
cd "$ROOT"
. scripts/lib/env.sh
if [ ! -f .infra/env ]; then
  echo "no .infra/env: start Conveyor first with 'npm start' in $ROOT" >&2
  exit 1
fi
load_env_file .infra/env
bash scripts/pack-sdk.sh
cd "$APP"
npm install --no-audit --no-fund
npm run build
export CONVEYOR_URL="${CONVEYOR_URL:-http://127.0.0.1:${CONVEYOR_API_PORT:-3000}}"
export CONVEYOR_TOKEN="${CONVEYOR_TOKEN:-$(cd "$ROOT" && pnpm -s token --sub tasks-app --email tasks-app@example.com)}"
export PORT="${PORT:-4000}"
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$PORT}"
echo "tasks app: http://127.0.0.1:$PORT (Conveyor at $CONVEYOR_URL)"
exec node dist/main.js
