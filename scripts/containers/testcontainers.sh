#!/usr/bin/env bash
# Runs integration suites through the testkit's Testcontainers path against podman's
# Docker-compatible socket: no RABBITMQ_URL / MONGO_URL, so packages/testkit starts the
# servers as containers, from the local stand-in images (scripts/containers/base-images.sh)
# named by CONVEYOR_TESTCONTAINERS_RABBITMQ_IMAGE / CONVEYOR_TESTCONTAINERS_MONGO_IMAGE.
# Ryuk (Testcontainers' reaper image) cannot be pulled here: it is disabled, the containers
# are reused across the suites of the run and removed by this script at the end.
#
# Usage: scripts/containers/testcontainers.sh [jest test paths...]
#        (default: the testkit's own suite, the AMQP client's and the processor's end to end)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/containers/podman.sh
started=$SECONDS
ensure_podman
bash scripts/containers/base-images.sh >/dev/null
[ -f packages/testkit/dist/index.js ] || pnpm -s build

export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_REUSE_ENABLE=true
export CONVEYOR_TESTCONTAINERS_RABBITMQ_IMAGE="${CONVEYOR_TESTCONTAINERS_RABBITMQ_IMAGE:-localhost/conveyor-local/rabbitmq:3.10}"
export CONVEYOR_TESTCONTAINERS_MONGO_IMAGE="${CONVEYOR_TESTCONTAINERS_MONGO_IMAGE:-localhost/conveyor-local/mongo:stand-in}"
unset RABBITMQ_URL MONGO_URL RABBITMQ_MANAGEMENT_URL SMTP_CATCHER_URL

remove_containers() {
  local ids
  ids="$(pm ps -aq --filter label=org.testcontainers=true)"
  [ -z "$ids" ] || pm rm -f $ids >/dev/null
}
finish() {
  remove_containers
  stop_started_podman_service
}
trap finish EXIT
trap 'exit 143' TERM INT
start_podman_service
remove_containers

suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(
  packages/testkit/dist/infra.int.test.js
  packages/platform/dist/amqp/amqp.int.test.js
  services/processor/dist/e2e.int.test.js
)
clog "jest through Testcontainers (DOCKER_HOST=$DOCKER_HOST): ${suites[*]}"
status=0
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand "${suites[@]}" || status=$?
clog "containers Testcontainers started: $(pm ps -a --filter label=org.testcontainers=true --format '{{.Image}}' | sort -u | tr '\n' ' ')"
clog "done in $((SECONDS - started)) s, status $status"
exit "$status"
