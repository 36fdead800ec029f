#!/usr/bin/env bash
# Runs the four services as plain Node processes against the local infrastructure
# (`pnpm infra:up`), with readable ports; Ctrl-C stops them all (SIGTERM, graceful).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .infra/env ]; then
  echo "no .infra/env: start the local servers first with 'pnpm infra:up'" >&2
  exit 1
fi
set -a; . ./.infra/env; set +a
[ -f services/api/dist/main.js ] || pnpm -s build
export NODE_ENV=${NODE_ENV:-development}
pids=()
start() { # name metrics-port
  local name=$1 port=$2
  # n.b. process substitution keeps $! the node process (not sed), so signals reach it
  METRICS_PORT=$port node "services/$name/dist/main.js" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
PORT=${PORT:-3000} start api 9100
start mailer 9101
start processor 9102
start scheduler 9103
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait' INT TERM
wait
