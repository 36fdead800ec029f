#!/usr/bin/env bash
# The one test command for a fresh machine (`npm run check`; CI's .ci/run calls exactly
# this): installs pnpm, the dependencies and the local servers (RabbitMQ from apt, the local
# MongoDB-wire server built with Maven, with Java 17 and Maven from apt if missing, the SMTP
# catcher, Prometheus from apt), poppler-utils, Debian's chromium (the dashboard's browser
# suite) and Schemathesis from PyPI (the API's contract test), runs `pnpm test` (build, lint, k8s/ validation, every jest suite) and stops the
# servers it started again. With CONVEYOR_CHECK_CONTAINERS=1 (Debian, root) it then runs the
# container checks under podman: docker-compose.yml end to end and the Testcontainers path.
# They are not part of CI yet: they have passed by hand, not yet often enough on a loaded
# machine to be trusted as a CI step (README, Exercising the containers without Docker).
# Exit status: that of the first step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh

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

if [ "${CONVEYOR_CHECK_CONTAINERS:-0}" = 1 ]; then
  phase "containers: docker-compose.yml end to end (podman)"
  bash scripts/containers/compose-e2e.sh
  phase "containers: Testcontainers path (podman)"
  bash scripts/containers/testcontainers.sh
else
  phase "containers: not run here (CONVEYOR_CHECK_CONTAINERS=1 runs scripts/containers/compose-e2e.sh and testcontainers.sh)"
fi
