#!/usr/bin/env bash
# The one test command for a fresh machine (`npm run check`; CI's .ci/run calls exactly
# this): installs pnpm, the dependencies and the local servers (RabbitMQ from apt, the local
# MongoDB-wire server built with Maven, with Java 17 and Maven from apt if missing, the SMTP
# catcher, Prometheus from apt), poppler-utils, Debian's chromium (the dashboard's browser
# suite) and Schemathesis from PyPI (the API's contract test), runs `pnpm test` (build, lint, k8s/ validation, every jest suite) and stops the
# servers it started again. Then, where the machine can (root, Debian's apt), the container
# checks under podman: docker-compose.yml end to end and the Testcontainers path, bounded by
# CONVEYOR_CHECK_CONTAINERS_TIMEOUT seconds (1500) in all. CONVEYOR_CHECK_CONTAINERS=0 skips
# them, =1 insists on them (README, Exercising the containers without Docker).
# Exit status: that of the first step that failed (124: the container checks ran out of time).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh

# The container checks: decided up front, so a wrong value fails before the long run.
CONTAINERS="${CONVEYOR_CHECK_CONTAINERS:-auto}"
CONTAINERS_WHY="CONVEYOR_CHECK_CONTAINERS=0"
case "$CONTAINERS" in
  0 | 1) ;;
  auto)
    # podman runs rootful and comes from Debian's archive, as do the stand-in images.
    if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
      CONTAINERS=1
    else
      CONTAINERS=0
      CONTAINERS_WHY="they need root and Debian's apt; CONVEYOR_CHECK_CONTAINERS=1 insists"
    fi
    ;;
  *)
    echo "CONVEYOR_CHECK_CONTAINERS must be 0, 1 or auto, not '$CONTAINERS'" >&2
    exit 2
    ;;
esac

RUN_STARTED=$SECONDS
PHASE_STARTED=$SECONDS
phase() {
  echo "==> [$(date -u +%Y-%m-%dT%H:%M:%SZ)] (+$((SECONDS - RUN_STARTED))s, previous phase $((SECONDS - PHASE_STARTED))s) $*"
  PHASE_STARTED=$SECONDS
}

phase "tools: node $(node --version), npm $(npm --version), $( (java -version 2>&1 || echo 'java missing') | sed -n 1p), $( (PATH="$PATH:/usr/local/go/bin" go version) 2>/dev/null || echo 'go missing')"

phase "pnpm"
ensure_pnpm
echo "pnpm $(pnpm --version)"

phase "poppler-utils (pdftotext / pdftoppm, for the report tests)"
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends poppler-utils ||
    { apt-get update && apt-get install -y --no-install-recommends poppler-utils; }
fi
# n.b. sed, not head: head exits after one line and, under pipefail, the writer's SIGPIPE
# (status 141) would end the run.
pdftotext -v 2>&1 | sed -n 1p

phase "chromium (the dashboard's browser suite)"
# n.b. Debian's Chromium at /usr/bin/chromium: playwright-core drives it, no browser download.
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium ||
    { apt-get update && apt-get install -y --no-install-recommends chromium; }
fi
/usr/bin/chromium --version 2>&1 | sed -n 1p

phase "prometheus + promtool (Debian package; rules tests and the dashboard-query test)"
# n.b. idempotent: installs only when missing, without starting Debian's own service
bash scripts/infra.sh install-prometheus
prometheus --version 2>&1 | sed -n 1p

phase "schemathesis (PyPI, into .tools/schemathesis; the API's contract test)"
bash scripts/install-schemathesis.sh

phase "pnpm install --frozen-lockfile"
pnpm install --frozen-lockfile

infra_down() {
  local status=$?
  phase "pnpm infra:down"
  pnpm infra:down || echo "infra:down failed (status $?); continuing" >&2
  phase "done, exit status $status"
  exit "$status"
}
# Registered before `up` so a half-started infrastructure is stopped as well.
trap infra_down EXIT

phase "pnpm infra:up"
pnpm infra:up

phase "pnpm test"
pnpm test

if [ "$CONTAINERS" = 1 ]; then
  # The local servers are not needed any more: their CPU and memory go to the containers.
  phase "pnpm infra:down (before the container checks)"
  pnpm infra:down
  CONTAINERS_STARTED=$SECONDS
  CONTAINERS_BUDGET="${CONVEYOR_CHECK_CONTAINERS_TIMEOUT:-1500}"
  # Runs a container script within what is left of the budget. On expiry timeout sends
  # SIGTERM to the script's whole process group, whose traps take the compose project down
  # and stop the podman service; SIGKILL follows 120 s later if they have not.
  bounded() {
    local left=$((CONTAINERS_BUDGET - (SECONDS - CONTAINERS_STARTED))) status=0
    [ "$left" -gt 0 ] || { echo "containers: the ${CONTAINERS_BUDGET} s budget is used up" >&2 && return 124; }
    timeout --kill-after=120 "$left" bash "$@" || status=$?
    [ "$status" != 124 ] || echo "containers: $1 ran out of time (${CONTAINERS_BUDGET} s budget)" >&2
    return "$status"
  }
  phase "containers: docker-compose.yml end to end (podman; budget ${CONTAINERS_BUDGET} s for both)"
  bounded scripts/containers/compose-e2e.sh
  phase "containers: Testcontainers path (podman)"
  bounded scripts/containers/testcontainers.sh
else
  phase "containers: skipped ($CONTAINERS_WHY)"
fi
