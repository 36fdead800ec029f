#!/usr/bin/env bash
# A local three-node RabbitMQ cluster, for trying Conveyor against a cluster's faults on one
# machine: Debian's rabbitmq-server run as three project-local nodes with their own ports and
# data directories under .infra/cluster/, sharing one Erlang cookie, joined to the first node.
# The quorum work queues get a member on every node; `queue_leader_locator = balanced` spreads
# their leaders over the nodes. It runs beside `pnpm infra:up`'s single node, not instead.
#
# Usage: scripts/cluster.sh up | down | status | env
#        scripts/cluster.sh stop-node <n> | kill-node <n> | start-node <n>     n: 1, 2, 3
#        scripts/cluster.sh rabbitmqctl <n> <args...>
#
# `down` stops the nodes and deletes the cluster's data: the cluster is disposable (a node
# restarted by start-node keeps its data and rejoins; a whole cluster is always made anew).
#
# Ports (loopback only) and names, overridable on `up` and remembered until `down`:
#   CONVEYOR_CLUSTER_PORT (5711): AMQP of node 1; node n listens on this + n - 1, and its
#     Erlang distribution on that + 20000 (keep those free too)
#   CONVEYOR_CLUSTER_MANAGEMENT_PORT (15731): management HTTP of node 1 (+ n - 1)
#   CONVEYOR_CLUSTER_PROMETHEUS_PORT (15734): prometheus plugin of node 1 (+ n - 1)
#   CONVEYOR_CLUSTER_NODE_PREFIX (conveyor-c): node n is <prefix><n>@localhost
#   CONVEYOR_INFRA_TIMEOUT (120, seconds to wait for each node to become ready)
set -euo pipefail

# n.b. sourcing defines infra.sh's functions (start_rabbitmq, stop_rabbitmq, pid_of, …) without
# running its main; the globals they read are set per node by use_node below.
# shellcheck source=scripts/infra.sh
. "$(dirname "${BASH_SOURCE[0]}")/infra.sh"

CLUSTER="$INFRA/cluster"
CLUSTER_SETTINGS="$CLUSTER/settings.env"
if [ -f "$CLUSTER_SETTINGS" ]; then
  while IFS='=' read -r key value; do
    case "$key" in
      CONVEYOR_CLUSTER_*) [ -n "${!key:-}" ] || export "$key=$value" ;;
    esac
  done <"$CLUSTER_SETTINGS"
fi
CLUSTER_PORT="${CONVEYOR_CLUSTER_PORT:-5711}"
CLUSTER_MANAGEMENT_PORT="${CONVEYOR_CLUSTER_MANAGEMENT_PORT:-15731}"
CLUSTER_PROMETHEUS_PORT="${CONVEYOR_CLUSTER_PROMETHEUS_PORT:-15734}"
CLUSTER_NODE_PREFIX="${CONVEYOR_CLUSTER_NODE_PREFIX:-conveyor-c}"
NODES=(1 2 3)

node_name() { echo "$CLUSTER_NODE_PREFIX$1@localhost"; }

# Points infra.sh's RabbitMQ globals at node $1.
use_node() {
  local n="$1"
  case "$n" in 1 | 2 | 3) ;; *) die "no node $n: the cluster has nodes 1, 2 and 3" ;; esac
  RABBITMQ_NODE="$(node_name "$n")"
  RABBITMQ_PORT=$((CLUSTER_PORT + n - 1))
  RABBITMQ_MANAGEMENT_PORT=$((CLUSTER_MANAGEMENT_PORT + n - 1))
  RABBITMQ_PROMETHEUS_PORT=$((CLUSTER_PROMETHEUS_PORT + n - 1))
  RMQ_DIR="$CLUSTER/node$n"
  RUN="$RMQ_DIR/run"
  LOGS="$RMQ_DIR/logs"
}

# use_node, plus the node's directories and the shared cookie, before it starts.
prepare_node() {
  use_node "$1"
  [ -s "$CLUSTER/cookie" ] || die "no cluster yet: run \`pnpm cluster:up\` first"
  mkdir -p "$RUN" "$LOGS" "$RMQ_DIR/home"
  # n.b. a node of a cluster authenticates its peers (and the CLI) by the shared cookie
  if [ ! -s "$RMQ_DIR/home/.erlang.cookie" ]; then
    install -m 400 "$CLUSTER/cookie" "$RMQ_DIR/home/.erlang.cookie"
  fi
}

# Cluster-wide settings appended to every node's rabbitmq.conf (see infra.sh).
export RABBITMQ_EXTRA_CONF="
# Cluster (scripts/cluster.sh): quorum queue leaders spread over the nodes rather than all on
# the node the declaring client happens to use; a node cut off from the majority pauses
# instead of serving a split brain.
cluster_name = conveyor-local
queue_leader_locator = balanced
cluster_partition_handling = pause_minority"

ctl() {
  local n="$1"
  shift
  use_node "$n"
  rabbitmqctl_cmd "$@"
}

# Joins node $1 to node 1 (the CLI's chatter is shown only when a step fails).
join_node() {
  local n="$1" step out
  for step in stop_app reset "join_cluster $(node_name 1)" start_app; do
    # shellcheck disable=SC2086
    out="$(ctl "$n" $step 2>&1)" || die "cluster: \`rabbitmqctl $step\` on $(node_name "$n") failed:
$out"
  done
}

cluster_settings() {
  cat <<EOF
CONVEYOR_CLUSTER_PORT=$CLUSTER_PORT
CONVEYOR_CLUSTER_MANAGEMENT_PORT=$CLUSTER_MANAGEMENT_PORT
CONVEYOR_CLUSTER_PROMETHEUS_PORT=$CLUSTER_PROMETHEUS_PORT
CONVEYOR_CLUSTER_NODE_PREFIX=$CLUSTER_NODE_PREFIX
EOF
}

node_running() {
  use_node "$1"
  rabbitmq_running
}

cluster_urls() {
  local n out=""
  for n in "${NODES[@]}"; do out="$out${out:+,}amqp://guest:guest@$HOST:$((CLUSTER_PORT + n - 1))"; done
  echo "$out"
}

mgmt_urls() {
  local n out=""
  for n in "${NODES[@]}"; do out="$out${out:+,}http://guest:guest@$HOST:$((CLUSTER_MANAGEMENT_PORT + n - 1))"; done
  echo "$out"
}

write_cluster_env() {
  cat >"$CLUSTER/env" <<EOF
RABBITMQ_URL=$(cluster_urls)
RABBITMQ_MANAGEMENT_URL=http://guest:guest@$HOST:$CLUSTER_MANAGEMENT_PORT
RABBITMQ_CLUSTER_NODES=$(node_name 1),$(node_name 2),$(node_name 3)
RABBITMQ_CLUSTER_MANAGEMENT_URLS=$(mgmt_urls)
EOF
}

cmd_up() {
  local started=$SECONDS n
  find_rabbitmq || install_rabbitmq
  find_rabbitmq || die "rabbitmq-server still not found after installation"
  mkdir -p "$CLUSTER"
  if [ -f "$CLUSTER_SETTINGS" ] && [ "$(cluster_settings)" != "$(cat "$CLUSTER_SETTINGS")" ]; then
    for n in "${NODES[@]}"; do
      node_running "$n" && die "the cluster runs with other settings; run \`pnpm cluster:down\` first"
    done
  fi
  cluster_settings >"$CLUSTER_SETTINGS"
  if [ ! -s "$CLUSTER/cookie" ]; then
    (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -dc 'a-f0-9' >"$CLUSTER/cookie")
  fi
  for n in "${NODES[@]}"; do
    node_running "$n" && continue
    # n.b. checked here so that a clash names this script's variables
    ensure_port_free "$RABBITMQ_PORT" "cluster node $n" CONVEYOR_CLUSTER_PORT
    ensure_port_free "$((RABBITMQ_PORT + 20000))" "cluster node $n distribution" CONVEYOR_CLUSTER_PORT
    ensure_port_free "$RABBITMQ_MANAGEMENT_PORT" "cluster node $n management" CONVEYOR_CLUSTER_MANAGEMENT_PORT
    ensure_port_free "$RABBITMQ_PROMETHEUS_PORT" "cluster node $n prometheus" CONVEYOR_CLUSTER_PROMETHEUS_PORT
  done
  for n in "${NODES[@]}"; do
    prepare_node "$n"
    start_rabbitmq
  done
  for n in 2 3; do
    if ctl "$n" cluster_status 2>/dev/null | grep -q "$(node_name 1)"; then continue; fi
    log "cluster: joining $(node_name "$n") to $(node_name 1)"
    join_node "$n"
  done
  write_cluster_env
  log "cluster: three nodes up in $((SECONDS - started))s"
  print_cluster_env
}

print_cluster_env() {
  [ -f "$CLUSTER/env" ] || die "no $CLUSTER/env yet: run \`pnpm cluster:up\`"
  echo "# Cluster endpoints (also in $CLUSTER/env):"
  cat "$CLUSTER/env"
}

cmd_down() {
  local n
  for n in 3 2 1; do
    use_node "$n"
    stop_rabbitmq
  done
  # n.b. only this project's own directory: the nodes' data, logs and cookie
  rm -rf "$CLUSTER"
  log "cluster: stopped, data removed"
}

cmd_status() {
  local n down=0
  for n in "${NODES[@]}"; do
    if node_running "$n"; then
      printf '%-26s up    amqp %s:%s  management %s:%s\n' "$RABBITMQ_NODE" "$HOST" "$RABBITMQ_PORT" "$HOST" "$RABBITMQ_MANAGEMENT_PORT"
    else
      printf '%-26s DOWN  amqp %s:%s\n' "$RABBITMQ_NODE" "$HOST" "$RABBITMQ_PORT"
      down=1
    fi
  done
  return "$down"
}

# A crash rather than a shutdown: SIGKILL to the node's Erlang VM (only ever a pid from pid_of).
cmd_kill_node() {
  local pid launcher
  use_node "$1"
  if pid="$(pid_of rabbitmq beam)"; then
    log "cluster: killing $RABBITMQ_NODE (pid $pid, SIGKILL)"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  if launcher="$(pid_of rabbitmq-launcher rabbitmq)"; then terminate "$launcher" rabbitmq-launcher; fi
  rm -f "$RUN/rabbitmq.pid" "$RUN/rabbitmq-launcher.pid"
}

cluster_main() {
  local command="${1:-}"
  [ $# -eq 0 ] || shift
  case "$command" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) print_cluster_env ;;
    stop-node)
      use_node "${1:?node number}"
      stop_rabbitmq
      ;;
    kill-node) cmd_kill_node "${1:?node number}" ;;
    start-node)
      prepare_node "${1:?node number}"
      start_rabbitmq
      ;;
    rabbitmqctl)
      local n="${1:?node number}"
      shift
      ctl "$n" "$@"
      ;;
    *)
      echo "usage: $0 up|down|status|env|stop-node <n>|kill-node <n>|start-node <n>|rabbitmqctl <n> <args>" >&2
      exit 2
      ;;
  esac
}

cluster_main "$@"
