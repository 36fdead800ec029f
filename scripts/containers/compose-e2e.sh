#!/usr/bin/env bash
# Exercises docker-compose.yml for real on a machine with no Docker engine and no image
# registry: rootful podman (runc, scripts/containers/containers.conf) behind its
# Docker-compatible socket, Debian's docker-compose, and the local stand-in base images
# (scripts/containers/base-images.sh, see compose.local.yml for what stands in for what).
#
# Steps: build the images -> `up` the whole system -> submit a demo.count job through
# the containerised API and wait for `succeeded` -> send an email and find it in the SMTP
# catcher -> start the example app of one's own (profile `examples`, installed from the packed
# SDK) and run its export job -> `--scale processor=3` and run jobs on three processors ->
# `down -v`.
# Prints the time of each step and every image's size. Exit status 0 only if all passed.
#
# Env: CONVEYOR_E2E_API_PORT (13000), CONVEYOR_E2E_SMTP_UI_PORT (11080),
#      CONVEYOR_E2E_RABBITMQ_UI_PORT (11672), CONVEYOR_E2E_PROJECT (conveyor-e2e),
#      CONVEYOR_E2E_TASKS_APP_PORT (14000),
#      CONVEYOR_E2E_KEEP=1 leaves the system running (no `down -v`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
. scripts/containers/podman.sh
STARTED=$SECONDS
PROJECT="${CONVEYOR_E2E_PROJECT:-conveyor-e2e}"
API_PORT="${CONVEYOR_E2E_API_PORT:-13000}"
SMTP_UI_PORT="${CONVEYOR_E2E_SMTP_UI_PORT:-11080}"
TASKS_APP_PORT="${CONVEYOR_E2E_TASKS_APP_PORT:-14000}"
RABBITMQ_UI_PORT="${CONVEYOR_E2E_RABBITMQ_UI_PORT:-11672}"
TAG=e2e
WORK="$PODMAN_ROOT/e2e"
mkdir -p "$WORK"
declare -a SUMMARY=()
step_started=$SECONDS
step() {
  [ -z "${current_step:-}" ] || SUMMARY+=("$(printf '%-38s %4d s' "$current_step" $((SECONDS - step_started)))")
  current_step="$1"
  step_started=$SECONDS
  clog "== $1"
}

step "podman, runc, docker-compose"
ensure_podman
step "base images (stand-ins)"
bash scripts/containers/base-images.sh
step "podman system service"
start_podman_service
# Replaced by cleanup below once the compose project exists.
trap stop_started_podman_service EXIT

images=(api mailer processor scheduler files smtp-catcher tasks-app)
for name in "${images[@]}"; do
  step "image conveyor/$name"
  dockerfile="services/$name/Dockerfile"
  [ -f "$dockerfile" ] || dockerfile="packages/$name/Dockerfile"
  [ -f "$dockerfile" ] || dockerfile="examples/$name/Dockerfile"
  # n.b. --format docker keeps HEALTHCHECK (OCI images have no field for it).
  pm build --format docker --network host --build-arg NODE_IMAGE=localhost/conveyor-local/node:24 \
    -f "$dockerfile" -t "localhost/conveyor/$name:$TAG" . >"$WORK/build-$name.log" 2>&1 ||
    { tail -n 40 "$WORK/build-$name.log" >&2; cdie "building conveyor/$name failed"; }
done

# Fresh secrets for this run, in a file of its own (a developer's .env stays untouched).
envfile="$WORK/compose.env"
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
cat >"$envfile" <<ENV
JWT_SECRET=$(secret)
RABBITMQ_USER=conveyor
RABBITMQ_PASSWORD=$(secret)
MONGO_USER=conveyor
MONGO_PASSWORD=$(secret)
CONVEYOR_BIND=127.0.0.1
CONVEYOR_IMAGE_PREFIX=localhost/conveyor
CONVEYOR_TAG=$TAG
NODE_IMAGE=localhost/conveyor-local/node:24
API_PORT=$API_PORT
SMTP_CATCHER_PORT=$SMTP_UI_PORT
RABBITMQ_MANAGEMENT_PORT=$RABBITMQ_UI_PORT
TASKS_APP_PORT=$TASKS_APP_PORT
ENV
compose() {
  docker-compose --project-name "$PROJECT" --project-directory "$ROOT" --env-file "$envfile" \
    -f docker-compose.yml -f scripts/containers/compose.local.yml "$@"
}

# podman runs HEALTHCHECKs from systemd timers, and this machine has no systemd: this loop
# stands in for the engine's scheduler and runs each container's check every 5 s.
health_ticker() {
  while :; do
    for id in $(pm ps -q --filter "label=com.docker.compose.project=$PROJECT"); do
      pm healthcheck run "$id" >/dev/null 2>&1 || true
    done
    sleep 5
  done
}
ticker_pid=""
cleanup() {
  local status=$?
  [ -z "$ticker_pid" ] || kill "$ticker_pid" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    clog "FAILED; last log lines of every container:"
    compose logs --no-color --tail=30 >&2 2>&1 || true
    [ "${CONVEYOR_E2E_KEEP:-0}" = 1 ] || compose --profile examples down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  # n.b. kept while the system is (CONVEYOR_E2E_KEEP=1): docker-compose needs it to stop it.
  [ "${CONVEYOR_E2E_KEEP:-0}" = 1 ] || stop_started_podman_service
  exit "$status"
}
trap cleanup EXIT
trap "exit 143" TERM INT
health_ticker &
ticker_pid=$!

step "compose up (all healthy)"
# A previous run's volumes would keep its credentials (the brokers' users are created on a
# fresh data directory only): start from none.
compose --profile examples down -v --remove-orphans >/dev/null 2>&1 || true
for volume in $(pm volume ls -q | grep "^${PROJECT}_" || true); do pm volume rm -f "$volume" >/dev/null; done
compose up -d --no-build
# depends_on: service_healthy has ordered the start; now wait for the services themselves.
wait_healthy() { # service count timeout-seconds
  local service=$1 want=$2 deadline=$((SECONDS + $3)) healthy ids
  while :; do
    ids="$(compose --profile examples ps -q "$service")"
    healthy=0
    for id in $ids; do
      [ "$(pm inspect --format '{{.State.Health.Status}}' "$id" 2>/dev/null)" = healthy ] && healthy=$((healthy + 1))
    done
    [ "$healthy" -ge "$want" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || { compose ps >&2; cdie "$service: $healthy of $want healthy after $3 s"; }
    sleep 2
  done
}
for service in rabbitmq mongo smtp-catcher api mailer processor scheduler files; do wait_healthy "$service" 1 300; done
compose ps

api="http://127.0.0.1:$API_PORT"
token="$(compose exec -T api node dist/auth/token-cli.js --sub e2e --email e2e@example.com | tr -d '\r\n')"
[ -n "$token" ] || cdie "no token from the api container"
submit() { # json -> job id
  curl -fsS -X POST "$api/v1/jobs" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$1" |
    node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s).id));'
}
wait_succeeded() { # job-id timeout-seconds
  local id=$1 deadline=$((SECONDS + $2)) status=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    status="$(curl -fsS "$api/v1/jobs/$id" -H "Authorization: Bearer $token" |
      node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s).status));')"
    case "$status" in
      succeeded) return 0 ;;
      failed | cancelled) cdie "job $id ended $status" ;;
    esac
    sleep 1
  done
  cdie "job $id still $status after $2 s"
}

step "the dashboard bundle in the api image"
# n.b. /ui/ answers 503 when the image was built without the dashboard's bundle
ui="$(curl -fsS "$api/ui/")" || cdie "GET /ui/ failed: is the dashboard built into the api image?"
asset="$(printf '%s' "$ui" | grep -o '/ui/assets/index-[A-Za-z0-9_-]*\.js' | sed -n 1p || true)"
[ -n "$asset" ] || cdie "GET /ui/ did not return the dashboard page"
curl -fsS -o /dev/null "$api$asset" || cdie "GET $asset failed"
clog "dashboard served: $asset"

step "demo.count job through the API"
job="$(submit '{"type":"demo.count","payload":{"to":3}}')"
wait_succeeded "$job" 120
clog "job $job succeeded"

step "email.send, seen in the catcher"
subject="Conveyor compose check $RANDOM$RANDOM"
job="$(submit "{\"type\":\"email.send\",\"payload\":{\"to\":[\"ann@example.com\"],\"subject\":\"$subject\",\"text\":\"hello from the containers\"}}")"
wait_succeeded "$job" 120
curl -fsS "http://127.0.0.1:$SMTP_UI_PORT/api/messages" | grep -q "$subject" ||
  cdie "the email '$subject' is not in the SMTP catcher"
clog "email '$subject' is in the catcher"

step "the example app of one's own (profile examples): a task exported through its own job type"
compose --profile examples up -d --no-build tasks-app
wait_healthy tasks-app 1 300
app="http://127.0.0.1:$TASKS_APP_PORT"
json() { node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(JSON.parse(s)[process.argv[1]]));' "$1"; }
user="$(curl -fsS -X POST "$app/users" -H 'Content-Type: application/json' -d '{"name":"Ann","email":"ann@example.com"}' | json id)"
curl -fsS -o /dev/null -X POST "$app/users/$user/tasks" -H 'Content-Type: application/json' -d '{"title":"water the plants"}'
export_job="$(curl -fsS -X POST "$app/users/$user/exports" -H 'Content-Type: application/json' -d '{}' | json jobId)"
deadline=$((SECONDS + 120))
until [ "$(curl -fsS "$app/users/$user/exports/$export_job" | json status)" = succeeded ]; do
  [ "$SECONDS" -lt "$deadline" ] || cdie "the tasks app's export $export_job did not succeed in 120 s"
  sleep 1
done
curl -fsS "$app/users/$user/exports/$export_job/download" | grep -q 'water the plants' ||
  cdie "the export's CSV lacks the task"
clog "tasks app: export $export_job succeeded, its CSV holds the task"

step "scale processor=3"
compose up -d --no-build --no-recreate --scale processor=3
wait_healthy processor 3 300
jobs=()
for i in $(seq 1 12); do jobs+=("$(submit '{"type":"demo.count","payload":{"to":2,"delayMs":200}}')"); done
for job in "${jobs[@]}"; do wait_succeeded "$job" 180; done
workers="$(curl -fsS "$api/v1/workers" -H "Authorization: Bearer $token")"
clog "12 jobs succeeded with 3 processors; /v1/workers: $(echo "$workers" | head -c 400)"

if [ "${CONVEYOR_E2E_KEEP:-0}" = 1 ]; then
  step "kept running (CONVEYOR_E2E_KEEP=1)"
else
  step "compose down -v"
  compose --profile examples down -v --remove-orphans
  left="$(pm ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)"
  vols="$(pm volume ls -q | grep -c "^${PROJECT}_" || true)"
  [ "$left" = 0 ] && [ "$vols" = 0 ] || cdie "after down -v: $left containers, $vols volumes left"
fi
# The store is a cache kept between runs: untagged images (earlier builds' stages, replaced
# stand-ins) older than two days go, so it does not grow with every change of the sources.
pm image prune -f --filter until=48h >/dev/null || clog "pruning old untagged images failed (ignored)"
step "done"

echo
echo "compose e2e passed in $((SECONDS - STARTED)) s"
printf '  %s\n' "${SUMMARY[@]}"
echo "images:"
pm images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "conveyor/.*:$TAG|conveyor-local/" | sort
