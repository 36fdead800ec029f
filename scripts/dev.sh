#!/usr/bin/env bash
# Runs the services as plain Node processes against the local infrastructure
# (`pnpm infra:up`), each log line prefixed with its service's name. Prints the URLs and a
# dev token once every service is ready. Ctrl-C (or SIGTERM) stops them all gracefully;
# a service that has not exited after SHUTDOWN_GRACE_MS + 5 s, or a second Ctrl-C, is killed.
#
# Variables given on the command line win over .infra/env. Ports: PORT (API, 3000) and
# CONVEYOR_DEV_METRICS_PORT (9100: api, +1 mailer, +2 processor, +3 scheduler, +4 files).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
if [ ! -f .infra/env ] && { [ -z "${RABBITMQ_URL:-}" ] || [ -z "${MONGO_URL:-}" ]; }; then
  echo "no .infra/env: start the local servers first with 'pnpm infra:up' (or run 'pnpm start')" >&2
  exit 1
fi
load_env_file .infra/env
[ -f services/api/dist/main.js ] || pnpm -s build
export NODE_ENV=${NODE_ENV:-development}
# In development a drain longer than a few seconds only delays Ctrl-C.
export SHUTDOWN_GRACE_MS=${SHUTDOWN_GRACE_MS:-5000}
# Development only: webhook.deliver may reach this machine's loopback, so webhooks can be
# tried against the SMTP catcher's receiver (http://127.0.0.1:1080/webhooks/…). Anywhere
# else loopback stays refused unless an operator opens it with WEBHOOK_ALLOW_CIDRS.
if [ "$NODE_ENV" = development ]; then
  export WEBHOOK_ALLOW_CIDRS=${WEBHOOK_ALLOW_CIDRS:-127.0.0.1/32}
fi
export PORT=${PORT:-3000}
metrics_base=${CONVEYOR_DEV_METRICS_PORT:-9100}
services=(api mailer processor scheduler files)

pids=()
start() { # name metrics-port
  local name=$1 port=$2
  # Each service runs in its own session (setsid): Ctrl-C in the terminal reaches only this
  # script, which sends exactly one SIGTERM, so the service drains instead of taking
  # Ctrl-C + SIGTERM as "exit now". The prefixer ignores the signals and ends when its
  # service closes the pipe; should its own output break, `cat` keeps draining the pipe so
  # the service never blocks on it. Process substitution keeps $! the node process.
  METRICS_PORT=$port setsid node "services/$name/dist/main.js" \
    > >(trap '' INT TERM HUP PIPE && sed -u "s/^/[$name] /" || exec cat >/dev/null) 2>&1 </dev/null &
  pids+=($!)
}
for i in "${!services[@]}"; do start "${services[$i]}" $((metrics_base + i)); done

alive() {
  local pid
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
banner_pid=""
stopping=0
stop() {
  if [ "$stopping" = 1 ]; then
    echo "[dev] second signal: killing the services" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
    exit 130
  fi
  stopping=1
  kill -TERM "${pids[@]}" 2>/dev/null || true
  [ -z "$banner_pid" ] || kill "$banner_pid" 2>/dev/null || true
  echo "[dev] stopping the services (SIGTERM)" >&2
  local deadline=$((SECONDS + SHUTDOWN_GRACE_MS / 1000 + 5))
  while alive && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if alive; then
    echo "[dev] services still running after $((SHUTDOWN_GRACE_MS / 1000 + 5)) s: killing them" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  echo "[dev] stopped" >&2
  exit 0
}
trap stop INT TERM HUP
# n.b. a closed terminal or pipe must not kill this script before it has stopped the services.
trap '' PIPE

# The banner: once every service's /readyz answers 200.
banner() {
  local i url
  for i in "${!services[@]}"; do
    url="http://127.0.0.1:$((metrics_base + i))/readyz"
    until curl -fs -o /dev/null --max-time 2 "$url"; do sleep 0.5; done
  done
  local api="http://127.0.0.1:$PORT" mgmt="${RABBITMQ_MANAGEMENT_URL:-}" token
  token="$(node services/api/dist/auth/token-cli.js --sub dev --email dev@example.com --role admin --ttl 86400)"
  {
    echo
    echo "================ Conveyor is running ================"
    echo "  API            $api   (OpenAPI $api/openapi.json)"
    echo "  API docs       $api/docs"
    if curl -fs -o /dev/null --max-time 2 "$api/ui"; then
      echo "  Dashboard      $api/ui"
      echo "  Sign in (development, admin, 24 h): $api/ui/#/sign-in?token=$token"
    fi
    if [ -n "${SMTP_CATCHER_URL:-}" ]; then
      echo "  SMTP catcher   $SMTP_CATCHER_URL   (SMTP ${SMTP_URL:-})"
      echo "  Webhooks       $SMTP_CATCHER_URL/webhooks   (POST $SMTP_CATCHER_URL/webhooks/<name>)"
    fi
    # n.b. print the management URL without its credentials, and name them.
    [ -z "$mgmt" ] || echo "  RabbitMQ UI    $(sed -E 's#//[^@/]*@#//#' <<<"$mgmt")   (guest / guest)"
    echo "  Metrics        http://127.0.0.1:$metrics_base/metrics … :$((metrics_base + ${#services[@]} - 1))/metrics"
    echo "  Dev token (admin, 24 h):"
    echo "    export TOKEN=$token"
    echo "    curl -s $api/v1/jobs -H \"Authorization: Bearer \$TOKEN\""
    echo "  Ctrl-C stops everything."
    echo "====================================================="
  } >&2
}
banner &
banner_pid=$!

# Any service that exits on its own (bad config, port taken) stops the rest.
while alive; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      echo "[dev] a service exited (pid $pid, status $status); stopping the others" >&2
      stop
    fi
  done
  sleep 0.5 &
  wait $! || true
done
