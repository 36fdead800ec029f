# Sourced by the container scripts: a rootful podman with the project's containers.conf, its
# own storage and its own Docker-compatible API socket (`podman system service`), so
# `docker`, `docker-compose` and Testcontainers talk to it through DOCKER_HOST.
#
#   CONVEYOR_PODMAN_ROOT  (/var/lib/conveyor-podman) image store, kept between runs as a cache
#   CONVEYOR_PODMAN_SOCK  (/run/conveyor-podman/podman.sock)
CONTAINERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PODMAN_ROOT="${CONVEYOR_PODMAN_ROOT:-/var/lib/conveyor-podman}"
PODMAN_SOCK="${CONVEYOR_PODMAN_SOCK:-/run/conveyor-podman/podman.sock}"
export CONTAINERS_CONF="$CONTAINERS_DIR/containers.conf"
export DOCKER_HOST="unix://$PODMAN_SOCK"

clog() { printf '[containers %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
cdie() {
  printf '[containers %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}

# Installs podman, runc, debootstrap and docker-compose from Debian when missing, and what
# podman only recommends or suggests but these checks need: netavark calls iptables for every
# container network (without it: "netavark: No such file or directory"), and `init: true`
# needs catatonit.
ensure_podman() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /usr/lib/podman/netavark ] || [ -x /usr/libexec/podman/netavark ] || missing+=(netavark aardvark-dns)
  command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || missing+=(iptables)
  [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
  [ "${#missing[@]}" = 0 ] && return 0
  [ "$(id -u)" = 0 ] || cdie "podman needs root here (rootful, runc); missing: ${missing[*]}"
  clog "installing ${missing[*]} from the Debian archive"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" uidmap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" uidmap >/dev/null; } ||
    cdie "apt-get install ${missing[*]} failed"
}

# podman with the project's storage.
pm() { podman --root "$PODMAN_ROOT/storage" --runroot "$PODMAN_ROOT/run" "$@"; }

# Starts `podman system service` on PODMAN_SOCK unless it answers already; records its pid
# and sets PODMAN_SERVICE_STARTED=1 when this shell started it (stop_started_podman_service).
PODMAN_SERVICE_STARTED=0
start_podman_service() {
  mkdir -p "$(dirname "$PODMAN_SOCK")" "$PODMAN_ROOT"
  if curl -fs --max-time 3 --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1; then return 0; fi
  PODMAN_SERVICE_STARTED=1
  rm -f "$PODMAN_SOCK"
  clog "starting podman system service on $PODMAN_SOCK"
  setsid nohup podman --root "$PODMAN_ROOT/storage" --runroot "$PODMAN_ROOT/run" \
    system service --time=0 "unix://$PODMAN_SOCK" >>"$PODMAN_ROOT/service.log" 2>&1 </dev/null &
  echo $! >"$PODMAN_ROOT/service.pid"
  for _ in $(seq 1 100); do
    curl -fs --max-time 3 --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cdie "podman system service did not answer on $PODMAN_SOCK (see $PODMAN_ROOT/service.log)"
}

# Stops the service this script started (by its recorded pid, only if it is podman).
stop_podman_service() {
  local pid
  [ -s "$PODMAN_ROOT/service.pid" ] || return 0
  pid="$(cat "$PODMAN_ROOT/service.pid")"
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'podman.*system service'; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$PODMAN_ROOT/service.pid"
}

# At the end of a script: stops the service if this script started it, unless
# CONVEYOR_PODMAN_KEEP_SERVICE=1 (then the next script reuses it).
stop_started_podman_service() {
  [ "$PODMAN_SERVICE_STARTED" = 1 ] && [ "${CONVEYOR_PODMAN_KEEP_SERVICE:-0}" != 1 ] || return 0
  stop_podman_service
  PODMAN_SERVICE_STARTED=0
}
