#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests: `kustomize build` of every overlay (the
# kustomize CLI, built from the Go module proxy as a tool of k8s/validate), then a Go test
# that strictly decodes every object into the upstream k8s.io/api and KEDA types (unknown
# fields fail) and checks what Conveyor needs of them (probes, securityContext, grace
# period, PDBs, HPA, KEDA triggers on both priority lanes). Needs Go >= 1.24 (installs
# Debian's golang-go when no go is found, and fails loudly if that is too old).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[k8s] %s\n' "$*"; }

PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  log "no Go toolchain found; installing Debian's golang-go"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null; } ||
    { echo "[k8s] ERROR: Go is required to validate k8s/ and could not be installed" >&2; exit 1; }
fi
version="$(go env GOVERSION)"
if ! printf '%s\n' "go1.21" "$version" | sort -V -C; then
  # Go >= 1.21 fetches the toolchain go.mod asks for from the module proxy; older ones cannot.
  echo "[k8s] ERROR: $version cannot build k8s/validate (needs Go >= 1.21 to fetch the toolchain go.mod names). Install a newer Go (e.g. /usr/local/go)." >&2
  exit 1
fi
log "using $version"
out="$(mktemp -d -t conveyor-k8s-XXXXXX)"
trap 'rm -rf "$out"' EXIT
cd k8s/validate
for overlay in ../overlays/*/; do
  name="$(basename "$overlay")"
  go tool kustomize build "$overlay" >"$out/$name.yaml"
  log "kustomize build overlays/$name: $(grep -c '^kind:' "$out/$name.yaml") objects"
done
CONVEYOR_K8S_OUT="$out" go test -count=1 -v ./... 2>&1 | grep -v '^=== RUN'
