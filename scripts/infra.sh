#!/usr/bin/env bash
# Local infrastructure for Conveyor without Docker: RabbitMQ (Debian package, run as a
# project-local node), the local MongoDB-wire server (mongo-java-server's in-memory backend,
# built with Maven; data is lost when it stops), the project's SMTP catcher and Prometheus
# (Debian package, run as our own process with its own config, data and port; it scrapes the
# five services and RabbitMQ's prometheus plugin and evaluates observability/prometheus/rules).
# Everything the servers write (data, logs, pids, cookie) lives in
# the git-ignored .infra/ directory next to package.json, so nothing collides with system
# services and `rm -rf .infra` is a full reset.
#
# Usage: scripts/infra.sh up | down | status | env
#        scripts/infra.sh start-<svc> | stop-<svc>   svc: rabbitmq, mongo, smtp-catcher, prometheus
#        scripts/infra.sh install-prometheus   (Debian's prometheus + promtool, if missing)
#        scripts/infra.sh rabbitmqctl <args...>      (e.g. close_all_connections, stop_app)
#
# Ports (loopback only), overridable on `up`; the values in use are remembered in
# .infra/settings.env until `down`, so `status`/`down` need no repeat of the overrides:
#   CONVEYOR_RABBITMQ_PORT (5672)  CONVEYOR_RABBITMQ_MANAGEMENT_PORT (15672)
#   CONVEYOR_RABBITMQ_PROMETHEUS_PORT (15692)  CONVEYOR_RABBITMQ_NODENAME (conveyor@localhost)
#   CONVEYOR_MONGO_PORT (27017)  CONVEYOR_MONGO_HEAP (4g, the local MongoDB's Java heap limit)
#   CONVEYOR_MONGO_WARMUP (6000 synthetic jobs run through the local store after its start, 0 = none)
#   CONVEYOR_MONGO_JAVA_OPTS (none: more options for the local store's JVM, e.g. -XX:TieredStopAtLevel=1)
#   CONVEYOR_SMTP_PORT (1025)  CONVEYOR_SMTP_HTTP_PORT (1080)
#   CONVEYOR_PROMETHEUS_PORT (9090)  CONVEYOR_PROMETHEUS_SCRAPE_INTERVAL (5s)
#   CONVEYOR_SCRAPE_API (127.0.0.1:9100)  CONVEYOR_SCRAPE_MAILER (127.0.0.1:9101)
#   CONVEYOR_SCRAPE_PROCESSOR (127.0.0.1:9102)  CONVEYOR_SCRAPE_SCHEDULER (127.0.0.1:9103)
#   CONVEYOR_SCRAPE_FILES (127.0.0.1:9104)
#     Prometheus scrape targets (host:port, comma-separated for several replicas); the
#     defaults are the metrics ports `pnpm dev` gives the services (CONVEYOR_DEV_METRICS_PORT)
#   CONVEYOR_INFRA_TIMEOUT (120, seconds to wait for each server to become ready)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/.infra"
LOGS="$INFRA/logs"
RUN="$INFRA/run"
BIN="$INFRA/bin"
SETTINGS="$INFRA/settings.env"
HOST=127.0.0.1

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
  printf '[infra %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}

# Overrides given on the command line win; otherwise reuse what the running `up` chose.
if [ -f "$SETTINGS" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      CONVEYOR_*) [ -n "${!key:-}" ] || export "$key=$value" ;;
    esac
  done <"$SETTINGS"
fi
RABBITMQ_PORT="${CONVEYOR_RABBITMQ_PORT:-5672}"
RABBITMQ_MANAGEMENT_PORT="${CONVEYOR_RABBITMQ_MANAGEMENT_PORT:-15672}"
RABBITMQ_PROMETHEUS_PORT="${CONVEYOR_RABBITMQ_PROMETHEUS_PORT:-15692}"
RABBITMQ_NODE="${CONVEYOR_RABBITMQ_NODENAME:-conveyor@localhost}"
MONGO_PORT="${CONVEYOR_MONGO_PORT:-27017}"
SMTP_PORT="${CONVEYOR_SMTP_PORT:-1025}"
SMTP_HTTP_PORT="${CONVEYOR_SMTP_HTTP_PORT:-1080}"
PROMETHEUS_PORT="${CONVEYOR_PROMETHEUS_PORT:-9090}"
PROMETHEUS_SCRAPE_INTERVAL="${CONVEYOR_PROMETHEUS_SCRAPE_INTERVAL:-5s}"
# n.b. the defaults follow `pnpm dev`'s metrics ports (CONVEYOR_DEV_METRICS_PORT, +0..+4).
DEV_METRICS_PORT="${CONVEYOR_DEV_METRICS_PORT:-9100}"
SCRAPE_API="${CONVEYOR_SCRAPE_API:-$HOST:$DEV_METRICS_PORT}"
SCRAPE_MAILER="${CONVEYOR_SCRAPE_MAILER:-$HOST:$((DEV_METRICS_PORT + 1))}"
SCRAPE_PROCESSOR="${CONVEYOR_SCRAPE_PROCESSOR:-$HOST:$((DEV_METRICS_PORT + 2))}"
SCRAPE_SCHEDULER="${CONVEYOR_SCRAPE_SCHEDULER:-$HOST:$((DEV_METRICS_PORT + 3))}"
SCRAPE_FILES="${CONVEYOR_SCRAPE_FILES:-$HOST:$((DEV_METRICS_PORT + 4))}"
TIMEOUT="${CONVEYOR_INFRA_TIMEOUT:-120}"

settings() {
  cat <<EOF
CONVEYOR_RABBITMQ_PORT=$RABBITMQ_PORT
CONVEYOR_RABBITMQ_MANAGEMENT_PORT=$RABBITMQ_MANAGEMENT_PORT
CONVEYOR_RABBITMQ_PROMETHEUS_PORT=$RABBITMQ_PROMETHEUS_PORT
CONVEYOR_RABBITMQ_NODENAME=$RABBITMQ_NODE
CONVEYOR_MONGO_PORT=$MONGO_PORT
CONVEYOR_SMTP_PORT=$SMTP_PORT
CONVEYOR_SMTP_HTTP_PORT=$SMTP_HTTP_PORT
CONVEYOR_PROMETHEUS_PORT=$PROMETHEUS_PORT
CONVEYOR_PROMETHEUS_SCRAPE_INTERVAL=$PROMETHEUS_SCRAPE_INTERVAL
CONVEYOR_SCRAPE_API=$SCRAPE_API
CONVEYOR_SCRAPE_MAILER=$SCRAPE_MAILER
CONVEYOR_SCRAPE_PROCESSOR=$SCRAPE_PROCESSOR
CONVEYOR_SCRAPE_SCHEDULER=$SCRAPE_SCHEDULER
CONVEYOR_SCRAPE_FILES=$SCRAPE_FILES
EOF
}

# Changing ports under running servers would orphan them (their pids would be checked
# against the new ports), so a change requires `down` first.
save_settings() {
  local wanted
  wanted="$(settings)"
  if [ -f "$SETTINGS" ] && [ "$wanted" != "$(cat "$SETTINGS")" ] && any_running; then
    die "servers are running with other settings than requested; run \`pnpm infra:down\` first.
running:
$(cat "$SETTINGS")
requested:
$wanted"
  fi
  echo "$wanted" >"$SETTINGS"
}

# ---------------------------------------------------------------------------- helpers

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# n.b. a pid is only trusted if the process still runs the expected program: pids are
# reused, and this script must never signal a process it did not start.
pid_of() {
  local file="$RUN/$1.pid" pattern="$2" pid cmdline
  [ -s "$file" ] || return 1
  pid="$(cat "$file")"
  # n.b. no `| grep -q` here: under pipefail its early exit can fail the pipeline (SIGPIPE).
  cmdline="$( (tr '\0' ' ' <"/proc/$pid/cmdline") 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$pattern"* ]] || return 1
  echo "$pid"
}

# Sends TERM, waits up to 20 s, then KILL. Only ever called with a pid from pid_of.
terminate() {
  local pid="$1" name="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 20 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# Runs a command detached from this shell (own session, so Ctrl-C on `pnpm infra:up` or
# the end of a CI step does not take the server down) and records its pid. The child
# writes its own pid before exec'ing: `$!` would name setsid when setsid has to fork. It
# also closes every inherited descriptor above stderr: a server holding its caller's pipe
# open would keep `pnpm infra:up | …` (or a CI step) waiting until the server exits.
spawn() {
  local name="$1" logfile="$2"
  shift 2
  rm -f "$RUN/$name.pid"
  # n.b. cwd .infra: anything a server drops in its working directory (erl_crash.dump)
  # stays out of the repository. No `( … &)` or `cd && …` around this: the intermediate
  # shell would keep the caller's stdout open for the server's whole life.
  setsid nohup bash -c '
    for fd in /proc/self/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -le 2 ] || eval "exec $fd>&-"
    done
    cd "$1" && echo $$ >"$0" && shift && exec "$@"' \
    "$RUN/$name.pid" "$INFRA" "$@" >>"$logfile" 2>&1 </dev/null &
  for _ in $(seq 1 50); do
    [ -s "$RUN/$name.pid" ] && return 0
    sleep 0.1
  done
  die "$name: could not start (see $logfile)"
}

fail_with_log() {
  local message="$1" logfile="$2"
  {
    echo "----- last 40 lines of $logfile -----"
    tail -n 40 "$logfile" 2>/dev/null || echo "(no log)"
    echo "-----"
  } >&2
  die "$message"
}

ensure_port_free() {
  local port="$1" name="$2" variable="$3"
  if port_open "$HOST" "$port"; then
    die "$name cannot start: $HOST:$port is already in use by another process. Stop it or choose another port with $variable=<port>."
  fi
}

http_ok() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
    .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

# ---------------------------------------------------------------------------- RabbitMQ

RMQ_DIR="$INFRA/rabbitmq"
RMQ_SBIN=""

find_rabbitmq() {
  local server
  # n.b. on Debian /usr/sbin/rabbitmq-* is a wrapper that re-runs everything as the
  # `rabbitmq` user with the system environment, so call the real scripts directly.
  if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    RMQ_SBIN=/usr/lib/rabbitmq/bin
    return 0
  fi
  server="$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v rabbitmq-server || true)"
  [ -n "$server" ] || return 1
  RMQ_SBIN="$(dirname "$(readlink -f "$server")")"
}

install_rabbitmq() {
  local created_policy=0
  command -v apt-get >/dev/null || die "rabbitmq-server is not installed and apt-get is not available; install RabbitMQ 3.10+ yourself or use Docker."
  log "installing rabbitmq-server from the Debian archive"
  if ! apt-cache show rabbitmq-server >/dev/null 2>&1; then
    as_root apt-get update
  fi
  # The package's postinst would start the system-wide node (rabbit@<host>) on the same
  # ports as ours. policy-rc.d exit 101 is Debian's documented "do not start services".
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  # n.b. a stale package list names versions the archive no longer serves: refresh, try again
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server &&
    ! { as_root apt-get update &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server; }; then
    [ "$created_policy" = 0 ] || as_root rm -f /usr/sbin/policy-rc.d
    die "apt-get install rabbitmq-server failed"
  fi
  [ "$created_policy" = 0 ] || as_root rm -f /usr/sbin/policy-rc.d
}

# The environment every rabbitmq-* command needs to address our node: the same HOME
# (Erlang cookie), node name, and file locations the server was started with.
rabbitmq_env() {
  RMQ_ENV=(
    "HOME=$RMQ_DIR/home"
    "RABBITMQ_NODENAME=$RABBITMQ_NODE"
    "RABBITMQ_NODE_IP_ADDRESS=$HOST"
    "RABBITMQ_NODE_PORT=$RABBITMQ_PORT"
    "RABBITMQ_DIST_PORT=$((RABBITMQ_PORT + 20000))"
    "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia"
    "RABBITMQ_LOG_BASE=$LOGS/rabbitmq"
    "RABBITMQ_PID_FILE=$RUN/rabbitmq.pid"
    "RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins"
    "RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf"
    # Erlang distribution (used by rabbitmqctl) on loopback only, like the listeners.
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    "ERL_EPMD_ADDRESS=127.0.0.1"
  )
}

rabbitmqctl_cmd() {
  find_rabbitmq || die "rabbitmqctl not found: run \`pnpm infra:up\` first"
  rabbitmq_env
  env "${RMQ_ENV[@]}" "$RMQ_SBIN/rabbitmqctl" -n "$RABBITMQ_NODE" "$@"
}

write_rabbitmq_config() {
  mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$LOGS/rabbitmq"
  if [ ! -s "$RMQ_DIR/home/.erlang.cookie" ]; then
    (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -dc 'a-f0-9' >"$RMQ_DIR/home/.erlang.cookie")
  fi
  chmod 400 "$RMQ_DIR/home/.erlang.cookie"
  # An empty env file keeps the system's /etc/rabbitmq/rabbitmq-env.conf out of the picture.
  echo '# Intentionally empty: scripts/infra.sh passes every setting as an environment variable.' \
    >"$RMQ_DIR/rabbitmq-env.conf"
  # Offline enable: the node reads this at boot, no running node needed.
  echo '[rabbitmq_management,rabbitmq_prometheus].' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/infra.sh on every start; edit the script, not this file.
listeners.tcp.default = $HOST:$RABBITMQ_PORT
management.tcp.ip = $HOST
management.tcp.port = $RABBITMQ_MANAGEMENT_PORT
prometheus.tcp.ip = $HOST
prometheus.tcp.port = $RABBITMQ_PROMETHEUS_PORT

# guest/guest may only log in over loopback (the default); every listener is loopback anyway.
loopback_users.guest = true

# A delivery left unacked longer than this closes its channel (PRECONDITION_FAILED) and
# requeues every unacked message on it. RabbitMQ 3.10 only has this node-wide setting (the
# per-queue x-consumer-timeout came in 3.12). Workers ack once the job's outcome is
# persisted, so a job's timeoutMs plus its persistence must stay below this value. It is
# the 3.10 default (30 min), written out so the bound jobs are designed against is
# explicit and identical on every machine rather than an invisible default.
consumer_timeout = 1800000

log.console = false
log.file.level = info
${RABBITMQ_EXTRA_CONF:-}
EOF
}

rabbitmq_running() {
  pid_of rabbitmq beam >/dev/null && port_open "$HOST" "$RABBITMQ_PORT"
}

start_rabbitmq() {
  local started=$SECONDS pid i
  find_rabbitmq || install_rabbitmq
  find_rabbitmq || die "rabbitmq-server still not found after installation"
  if rabbitmq_running; then
    log "rabbitmq: already running (pid $(pid_of rabbitmq beam), node $RABBITMQ_NODE)"
    return 0
  fi
  if pid="$(pid_of rabbitmq beam)"; then
    # The node runs but AMQP does not answer (e.g. after `rabbitmqctl stop_app`).
    log "rabbitmq: node $RABBITMQ_NODE is up without its app; starting the app"
    rabbitmqctl_cmd start_app >/dev/null
  else
    rm -f "$RUN/rabbitmq.pid"
    ensure_port_free "$RABBITMQ_PORT" RabbitMQ CONVEYOR_RABBITMQ_PORT
    ensure_port_free "$RABBITMQ_MANAGEMENT_PORT" "RabbitMQ management" CONVEYOR_RABBITMQ_MANAGEMENT_PORT
    ensure_port_free "$RABBITMQ_PROMETHEUS_PORT" "RabbitMQ prometheus" CONVEYOR_RABBITMQ_PROMETHEUS_PORT
    ensure_port_free "$((RABBITMQ_PORT + 20000))" "RabbitMQ distribution" CONVEYOR_RABBITMQ_PORT
    write_rabbitmq_config
    rabbitmq_env
    log "rabbitmq: starting node $RABBITMQ_NODE on $HOST:$RABBITMQ_PORT"
    # n.b. foreground mode under setsid rather than -detached, so boot errors that happen
    # before the node's own logger starts still land in rabbitmq-console.log.
    spawn rabbitmq-launcher "$LOGS/rabbitmq-console.log" \
      env "${RMQ_ENV[@]}" "$RMQ_SBIN/rabbitmq-server"
  fi
  for ((i = 0; ; i++)); do
    if [ $((SECONDS - started)) -ge "$TIMEOUT" ]; then
      fail_with_log "rabbitmq: node $RABBITMQ_NODE not ready after ${TIMEOUT}s (see $LOGS/rabbitmq/)" \
        "$LOGS/rabbitmq-console.log"
    fi
    if [ "$i" -gt 0 ] && ! pid_of rabbitmq-launcher rabbitmq >/dev/null && ! pid_of rabbitmq beam >/dev/null; then
      fail_with_log "rabbitmq: the node exited during startup" "$LOGS/rabbitmq-console.log"
    fi
    if pid_of rabbitmq beam >/dev/null &&
      rabbitmqctl_cmd await_startup --timeout 10 >/dev/null 2>&1 &&
      port_open "$HOST" "$RABBITMQ_PORT"; then
      break
    fi
    sleep 1
  done
  log "rabbitmq: ready in $((SECONDS - started))s (pid $(pid_of rabbitmq beam), management http://$HOST:$RABBITMQ_MANAGEMENT_PORT)"
}

stop_rabbitmq() {
  local pid launcher
  if pid="$(pid_of rabbitmq beam)"; then
    log "rabbitmq: stopping node $RABBITMQ_NODE (pid $pid)"
    # `stop <pidfile>` returns once the Erlang VM has exited, not just the app; signals
    # are the fallback when the node no longer answers its CLI.
    rabbitmq_env
    timeout 90 env "${RMQ_ENV[@]}" "$RMQ_SBIN/rabbitmqctl" -n "$RABBITMQ_NODE" stop "$RUN/rabbitmq.pid" \
      >/dev/null 2>&1 || true
    terminate "$pid" rabbitmq
  else
    log "rabbitmq: not running"
  fi
  if launcher="$(pid_of rabbitmq-launcher rabbitmq)"; then terminate "$launcher" rabbitmq-launcher; fi
  rm -f "$RUN/rabbitmq.pid" "$RUN/rabbitmq-launcher.pid"
}

# ---------------------------------------------------------------------------- local MongoDB

# mongo-java-server's in-memory backend behind the project's launcher (scripts/mongo-server):
# it applies each conditional update atomically, holds unique indexes under races and
# serves GridFS and change streams, which is what Conveyor requires of its store
# (`pnpm store:check` proves it). It keeps data in memory only: everything is gone when it
# stops. Persistence is what a real MongoDB is for (docker-compose.yml, production).
MONGO_SRC="$ROOT/scripts/mongo-server"
MONGO_DIST="$BIN/mongo-server"
MONGO_HEAP="${CONVEYOR_MONGO_HEAP:-4g}"

# The build stamp is a hash of the launcher's sources: a change rebuilds it.
mongo_source_hash() {
  (cd "$MONGO_SRC" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

install_java_tools() {
  command -v apt-get >/dev/null || die "Java 17+ and Maven are required for the local MongoDB-wire server; install them (Debian: openjdk-17-jdk-headless maven)"
  log "installing Java 17 and Maven from the Debian archive"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven &&
    ! { as_root apt-get update &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven; }; then
    die "apt-get install openjdk-17-jdk-headless maven failed"
  fi
}

build_mongo() {
  local started=$SECONDS hash
  hash="$(mongo_source_hash)"
  if [ -f "$MONGO_DIST/build" ] && [ "$(cat "$MONGO_DIST/build")" = "$hash" ]; then
    return 0
  fi
  command -v java >/dev/null && command -v mvn >/dev/null || install_java_tools
  log "mongo: building the local MongoDB-wire server (mongo-java-server, Maven)"
  (cd "$MONGO_SRC" && mvn -B -q -Dstyle.color=never -DskipTests -Dconveyor.buildDir="$INFRA/build/mongo-server" package) ||
    die "mongo: maven build failed (sources in $MONGO_SRC)"
  rm -rf "$MONGO_DIST"
  mkdir -p "$MONGO_DIST"
  cp "$INFRA/build/mongo-server/lib/"*.jar "$INFRA/build/mongo-server/conveyor-local-mongo-1.0.0.jar" "$MONGO_DIST/"
  echo "$hash" >"$MONGO_DIST/build"
  log "mongo: built in $((SECONDS - started))s"
}

# A real MongoDB `ping` through the Node driver the services use; falls back to the port
# check alone if packages/platform has not been installed yet.
mongo_ping() {
  local url="mongodb://$HOST:$MONGO_PORT/admin"
  if [ ! -d "$ROOT/packages/platform/node_modules/mongoose" ]; then
    port_open "$HOST" "$MONGO_PORT"
    return
  fi
  node -e '
    const { createRequire } = require("node:module");
    const mongoose = createRequire(process.argv[1])("mongoose");
    const conn = mongoose.createConnection(process.argv[2], { serverSelectionTimeoutMS: 2000 });
    conn.asPromise()
      .then(() => conn.db.admin().ping())
      .then(() => conn.close())
      .then(() => process.exit(0), () => process.exit(1));
  ' "$ROOT/packages/platform/package.json" "$url" 2>/dev/null
}

mongo_running() {
  pid_of mongo conveyor-local-mongo >/dev/null && port_open "$HOST" "$MONGO_PORT"
}

start_mongo() {
  local started
  build_mongo
  if mongo_running; then
    log "mongo: already running (pid $(pid_of mongo conveyor-local-mongo))"
    return 0
  fi
  rm -f "$RUN/mongo.pid"
  ensure_port_free "$MONGO_PORT" "local MongoDB" CONVEYOR_MONGO_PORT
  log "mongo: starting on $HOST:$MONGO_PORT (in memory, heap up to $MONGO_HEAP)"
  # n.b. the jar name stays on the command line so pid_of can recognise the process.
  # G1 with a 20 ms pause goal: the store keeps every job in its heap, and the parallel
  # collector's young collections copied hundreds of MB of recently written jobs in one
  # 100-200 ms pause, which became the p99 of job starts (G1 costs about 0.05 ms more CPU per job).
  # shellcheck disable=SC2086 # CONVEYOR_MONGO_JAVA_OPTS is a list of options
  spawn mongo "$LOGS/mongo.log" java -Xss1m -Xms256m "-Xmx$MONGO_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 ${CONVEYOR_MONGO_JAVA_OPTS:-} \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    "-javaagent:$MONGO_DIST/conveyor-local-mongo-1.0.0.jar" \
    -cp "$MONGO_DIST/*:$MONGO_DIST/conveyor-local-mongo-1.0.0.jar" \
    dev.conveyor.localmongo.Main --host "$HOST" --port "$MONGO_PORT"
  started=$SECONDS
  until mongo_ping; do
    pid_of mongo conveyor-local-mongo >/dev/null || fail_with_log "mongo: exited during startup" "$LOGS/mongo.log"
    [ $((SECONDS - started)) -lt "$TIMEOUT" ] ||
      fail_with_log "mongo: no answer to ping on $HOST:$MONGO_PORT after ${TIMEOUT}s" "$LOGS/mongo.log"
    sleep 0.3
  done
  log "mongo: ready in $((SECONDS - started))s (pid $(pid_of mongo conveyor-local-mongo))"
  warm_mongo
}

# The local store is a JVM: its first few thousand jobs cost it about twice the CPU of later
# ones while it compiles its hot paths. Run that many synthetic jobs through it in a scratch
# database now (Conveyor's own repository code; needs the packages built, as `pnpm start`
# has them; skipped otherwise) so the first real jobs do not pay for it.
# CONVEYOR_MONGO_WARMUP: how many jobs (0 = none).
warm_mongo() {
  # n.b. unset: warm-store.mjs runs warmUpStore's default (6000)
  local jobs="${CONVEYOR_MONGO_WARMUP:-}" out
  [[ -z "$jobs" || "$jobs" =~ ^[0-9]+$ ]] || die "CONVEYOR_MONGO_WARMUP must be a whole number of jobs, got '$jobs'"
  [ "$jobs" != 0 ] || return 0
  if [ ! -f "$ROOT/packages/jobs/dist/store-warmup.js" ] || [ ! -f "$ROOT/packages/platform/dist/index.js" ]; then
    log "mongo: not warmed up (packages not built yet)"
    return 0
  fi
  if out="$(node "$ROOT/scripts/lib/warm-store.mjs" "mongodb://$HOST:$MONGO_PORT" ${jobs:+"$jobs"} 2>&1)"; then
    log "mongo: warmed up with $out"
  else
    log "mongo: warm-up failed (the store works, its first jobs are slower): $out"
  fi
}

stop_mongo() {
  local pid
  if pid="$(pid_of mongo conveyor-local-mongo)"; then
    log "mongo: stopping (pid $pid; its in-memory data goes with it)"
    terminate "$pid" mongo
  else
    log "mongo: not running"
  fi
  rm -f "$RUN/mongo.pid"
}

# ---------------------------------------------------------------------------- SMTP catcher

CATCHER_PKG="$ROOT/packages/smtp-catcher"

build_smtp_catcher() {
  local stamp="$CATCHER_PKG/dist/.tsbuildinfo"
  # n.b. tsc -b rewrites only changed outputs but always its .tsbuildinfo: the build stamp.
  if [ -f "$CATCHER_PKG/dist/main.js" ] && [ -f "$stamp" ] &&
    [ -z "$(find "$CATCHER_PKG/src" -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  [ -d "$ROOT/node_modules" ] || die "node_modules missing: run \`pnpm install\` first"
  log "smtp-catcher: building @conveyor/smtp-catcher"
  (cd "$ROOT" && pnpm --filter @conveyor/smtp-catcher exec tsc -b) || die "smtp-catcher: build failed"
}

smtp_catcher_running() {
  pid_of smtp-catcher smtp-catcher >/dev/null && http_ok "http://$HOST:$SMTP_HTTP_PORT/healthz"
}

start_smtp_catcher() {
  local started
  build_smtp_catcher
  if smtp_catcher_running; then
    log "smtp-catcher: already running (pid $(pid_of smtp-catcher smtp-catcher))"
    return 0
  fi
  rm -f "$RUN/smtp-catcher.pid"
  ensure_port_free "$SMTP_PORT" "SMTP catcher" CONVEYOR_SMTP_PORT
  ensure_port_free "$SMTP_HTTP_PORT" "SMTP catcher HTTP" CONVEYOR_SMTP_HTTP_PORT
  log "smtp-catcher: starting (SMTP $HOST:$SMTP_PORT, HTTP $HOST:$SMTP_HTTP_PORT)"
  spawn smtp-catcher "$LOGS/smtp-catcher.log" env \
    SMTP_CATCHER_HOST="$HOST" SMTP_CATCHER_SMTP_PORT="$SMTP_PORT" SMTP_CATCHER_HTTP_PORT="$SMTP_HTTP_PORT" \
    node "$CATCHER_PKG/dist/main.js"
  started=$SECONDS
  until http_ok "http://$HOST:$SMTP_HTTP_PORT/healthz"; do
    pid_of smtp-catcher smtp-catcher >/dev/null || fail_with_log "smtp-catcher: exited during startup" "$LOGS/smtp-catcher.log"
    [ $((SECONDS - started)) -lt "$TIMEOUT" ] ||
      fail_with_log "smtp-catcher: HTTP not answering after ${TIMEOUT}s" "$LOGS/smtp-catcher.log"
    sleep 0.3
  done
  log "smtp-catcher: ready in $((SECONDS - started))s (pid $(pid_of smtp-catcher smtp-catcher))"
}

stop_smtp_catcher() {
  local pid
  if pid="$(pid_of smtp-catcher smtp-catcher)"; then
    log "smtp-catcher: stopping (pid $pid)"
    terminate "$pid" smtp-catcher
  else
    log "smtp-catcher: not running"
  fi
  rm -f "$RUN/smtp-catcher.pid"
}

# ---------------------------------------------------------------------------- Prometheus

PROM_DIR="$INFRA/prometheus"
RULES_DIR="$ROOT/observability/prometheus/rules"

# Installs Debian's prometheus package without letting its postinst start the system service
# (that one would listen on :9090 with /etc/prometheus); ours runs from .infra/prometheus.
install_prometheus() {
  local created_policy=0
  command -v apt-get >/dev/null || die "prometheus is not installed and apt-get is not available; install Prometheus 2.x (prometheus and promtool on PATH)."
  log "installing prometheus from the Debian archive"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus &&
    ! { as_root apt-get update &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; }; then
    [ "$created_policy" = 0 ] || as_root rm -f /usr/sbin/policy-rc.d
    die "apt-get install prometheus failed"
  fi
  [ "$created_policy" = 0 ] || as_root rm -f /usr/sbin/policy-rc.d
}

ensure_prometheus() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null || install_prometheus
  command -v prometheus >/dev/null || die "prometheus still not found after installation"
}

# A YAML list of targets: "a:1,b:2" -> ['a:1', 'b:2'].
yaml_targets() {
  local IFS=, out="" t
  for t in $1; do out="$out${out:+, }'$t'"; done
  echo "[$out]"
}

write_prometheus_config() {
  mkdir -p "$PROM_DIR/data"
  cat >"$PROM_DIR/prometheus.yml" <<CONFIG
# Generated by scripts/infra.sh on every start; edit the script (or observability/), not this file.
global:
  scrape_interval: $PROMETHEUS_SCRAPE_INTERVAL
  evaluation_interval: $PROMETHEUS_SCRAPE_INTERVAL
rule_files:
  - $RULES_DIR/*.yml
scrape_configs:
  - job_name: conveyor-api
    static_configs: [{ targets: $(yaml_targets "$SCRAPE_API") }]
  - job_name: conveyor-mailer
    static_configs: [{ targets: $(yaml_targets "$SCRAPE_MAILER") }]
  - job_name: conveyor-processor
    static_configs: [{ targets: $(yaml_targets "$SCRAPE_PROCESSOR") }]
  - job_name: conveyor-scheduler
    static_configs: [{ targets: $(yaml_targets "$SCRAPE_SCHEDULER") }]
  - job_name: conveyor-files
    static_configs: [{ targets: $(yaml_targets "$SCRAPE_FILES") }]
  - job_name: rabbitmq
    static_configs: [{ targets: ['$HOST:$RABBITMQ_PROMETHEUS_PORT'] }]
  - job_name: rabbitmq-queues
    metrics_path: /metrics/detailed
    params:
      family: [queue_coarse_metrics, queue_consumer_count]
    static_configs: [{ targets: ['$HOST:$RABBITMQ_PROMETHEUS_PORT'] }]
CONFIG
  promtool check config "$PROM_DIR/prometheus.yml" >/dev/null ||
    die "prometheus: generated config is invalid (promtool check config $PROM_DIR/prometheus.yml)"
}

prometheus_running() {
  pid_of prometheus "$PROM_DIR/prometheus.yml" >/dev/null && http_ok "http://$HOST:$PROMETHEUS_PORT/-/ready"
}

start_prometheus() {
  local started
  ensure_prometheus
  if prometheus_running; then
    log "prometheus: already running (pid $(pid_of prometheus "$PROM_DIR/prometheus.yml"))"
    return 0
  fi
  rm -f "$RUN/prometheus.pid"
  ensure_port_free "$PROMETHEUS_PORT" Prometheus CONVEYOR_PROMETHEUS_PORT
  write_prometheus_config
  log "prometheus: starting on $HOST:$PROMETHEUS_PORT (api $SCRAPE_API, mailer $SCRAPE_MAILER, processor $SCRAPE_PROCESSOR, scheduler $SCRAPE_SCHEDULER, files $SCRAPE_FILES)"
  # n.b. --web.enable-lifecycle: `curl -XPOST …/-/reload` re-reads the rules after an edit
  spawn prometheus "$LOGS/prometheus.log" prometheus \
    --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="$HOST:$PROMETHEUS_PORT" \
    --web.enable-lifecycle
  started=$SECONDS
  until http_ok "http://$HOST:$PROMETHEUS_PORT/-/ready"; do
    pid_of prometheus "$PROM_DIR/prometheus.yml" >/dev/null || fail_with_log "prometheus: exited during startup" "$LOGS/prometheus.log"
    [ $((SECONDS - started)) -lt "$TIMEOUT" ] ||
      fail_with_log "prometheus: not ready after ${TIMEOUT}s" "$LOGS/prometheus.log"
    sleep 0.3
  done
  log "prometheus: ready in $((SECONDS - started))s (pid $(pid_of prometheus "$PROM_DIR/prometheus.yml"), http://$HOST:$PROMETHEUS_PORT)"
}

stop_prometheus() {
  local pid
  if pid="$(pid_of prometheus "$PROM_DIR/prometheus.yml")"; then
    log "prometheus: stopping (pid $pid)"
    terminate "$pid" prometheus
  else
    log "prometheus: not running"
  fi
  rm -f "$RUN/prometheus.pid"
}

# ---------------------------------------------------------------------------- commands

any_running() {
  pid_of rabbitmq beam >/dev/null || pid_of mongo conveyor-local-mongo >/dev/null ||
    pid_of smtp-catcher smtp-catcher >/dev/null || pid_of prometheus "$PROM_DIR/prometheus.yml" >/dev/null
}

write_env() {
  cat >"$INFRA/env" <<EOF
RABBITMQ_URL=amqp://guest:guest@$HOST:$RABBITMQ_PORT
RABBITMQ_MANAGEMENT_URL=http://guest:guest@$HOST:$RABBITMQ_MANAGEMENT_PORT
MONGO_URL=mongodb://$HOST:$MONGO_PORT/conveyor
SMTP_URL=smtp://$HOST:$SMTP_PORT
SMTP_CATCHER_URL=http://$HOST:$SMTP_HTTP_PORT
PROMETHEUS_URL=http://$HOST:$PROMETHEUS_PORT
RABBITMQ_PROMETHEUS_URL=http://$HOST:$RABBITMQ_PROMETHEUS_PORT
EOF
}

print_env() {
  [ -f "$INFRA/env" ] || die "no $INFRA/env yet: run \`pnpm infra:up\`"
  echo "# Endpoints (also in $INFRA/env; \`set -a; . .infra/env; set +a\` loads them):"
  cat "$INFRA/env"
}

cmd_up() {
  local started=$SECONDS
  mkdir -p "$LOGS" "$RUN" "$BIN"
  save_settings
  start_rabbitmq
  start_mongo
  start_smtp_catcher
  start_prometheus
  write_env
  log "all servers up in $((SECONDS - started))s"
  print_env
}

cmd_down() {
  stop_prometheus
  stop_smtp_catcher
  stop_mongo
  stop_rabbitmq
  rm -f "$SETTINGS"
}

# One line per server; exit status 1 if any is down.
cmd_status() {
  local down=0 pid
  report() {
    local name="$1" pid="$2" ok="$3" detail="$4"
    if [ "$ok" = up ]; then
      printf '%-13s up    pid %-7s %s\n' "$name" "$pid" "$detail"
    else
      printf '%-13s DOWN  pid %-7s %s\n' "$name" "${pid:--}" "$detail"
      down=1
    fi
  }
  port_state() { if port_open "$HOST" "$1"; then echo "$HOST:$1 open"; else echo "$HOST:$1 closed"; fi; }

  pid="$(pid_of rabbitmq beam || true)"
  if [ -n "$pid" ] && port_open "$HOST" "$RABBITMQ_PORT"; then s=up; else s=down; fi
  report rabbitmq "$pid" "$s" "amqp $(port_state "$RABBITMQ_PORT"), management $(port_state "$RABBITMQ_MANAGEMENT_PORT"), node $RABBITMQ_NODE"

  pid="$(pid_of mongo conveyor-local-mongo || true)"
  if [ -n "$pid" ] && port_open "$HOST" "$MONGO_PORT"; then s=up; else s=down; fi
  report mongo "$pid" "$s" "mongodb $(port_state "$MONGO_PORT") (in memory)"

  pid="$(pid_of smtp-catcher smtp-catcher || true)"
  if [ -n "$pid" ] && http_ok "http://$HOST:$SMTP_HTTP_PORT/healthz"; then s=up; else s=down; fi
  report smtp-catcher "$pid" "$s" "smtp $(port_state "$SMTP_PORT"), http $(port_state "$SMTP_HTTP_PORT")"

  pid="$(pid_of prometheus "$PROM_DIR/prometheus.yml" || true)"
  if [ -n "$pid" ] && http_ok "http://$HOST:$PROMETHEUS_PORT/-/ready"; then s=up; else s=down; fi
  report prometheus "$pid" "$s" "http $(port_state "$PROMETHEUS_PORT"), scrapes $SCRAPE_API $SCRAPE_MAILER $SCRAPE_PROCESSOR $SCRAPE_SCHEDULER $SCRAPE_FILES"
  return "$down"
}

main() {
  local command="${1:-}"
  [ $# -eq 0 ] || shift
  mkdir -p "$LOGS" "$RUN"
  case "$command" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) print_env ;;
    rabbitmqctl) rabbitmqctl_cmd "$@" ;;
    start-rabbitmq) start_rabbitmq ;;
    stop-rabbitmq) stop_rabbitmq ;;
    build-mongo) mkdir -p "$BIN" && build_mongo ;;
    start-mongo) start_mongo ;;
    stop-mongo) stop_mongo ;;
    start-smtp-catcher) start_smtp_catcher ;;
    stop-smtp-catcher) stop_smtp_catcher ;;
    install-prometheus) ensure_prometheus ;;
    start-prometheus) start_prometheus ;;
    stop-prometheus) stop_prometheus ;;
    *)
      echo "usage: $0 up|down|status|env|rabbitmqctl <args>|install-prometheus|start-<svc>|stop-<svc> (svc: rabbitmq, mongo, smtp-catcher, prometheus)" >&2
      exit 2
      ;;
  esac
}

# n.b. when sourced (scripts/cluster.sh reuses the RabbitMQ functions) only the functions are defined
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
