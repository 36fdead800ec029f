#!/usr/bin/env bash
# The test command: typecheck + build, lint, the k8s/ validation (Go), then every jest
# project (unit and integration).
# Integration tests need RABBITMQ_URL / MONGO_URL / SMTP_CATCHER_URL (printed by `pnpm infra:up`,
# and read from .infra/env when present; a variable given on the command line wins), or a
# Docker engine for Testcontainers.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/env.sh
load_env_file .infra/env
pnpm -s build
pnpm -s lint
# The Kubernetes manifests: kustomize build of every overlay + strict schema validation.
bash scripts/k8s-validate.sh
# Prometheus rules: syntax, then the unit tests with input series and expected alerts.
command -v promtool >/dev/null || {
  echo "promtool not found: run \`pnpm infra:up\` (installs Debian's prometheus package) first" >&2
  exit 1
}
promtool check rules observability/prometheus/rules/*.yml
promtool check config observability/prometheus/prometheus.yml
(cd observability/prometheus && promtool test rules tests/*.test.yml)
results="$(mktemp -t conveyor-jest-XXXXXX.json)"
status=0
# n.b. no --forceExit: the suites close what they open (checked with --detectOpenHandles).
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" "$@" || status=$?
# One plain summary line for tools that read the closing line of a run.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$results" || true
rm -f "$results"
exit "$status"
