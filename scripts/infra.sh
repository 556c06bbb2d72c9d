#!/usr/bin/env bash
# Loopback test infrastructure for Ratchet: a single-node KRaft Kafka broker and a Redis server.
#
#   bash scripts/infra.sh up      fetch Kafka jars, start Kafka + Redis, print export lines
#   bash scripts/infra.sh down    stop both (SIGTERM, up to 20 s, then SIGKILL)
#   bash scripts/infra.sh status  say what is running; exit 0 only if both are up
#   bash scripts/infra.sh env     print the export lines only
#
# stdout of 'up' and 'env' is exactly the export lines (eval-able); all messages go to stderr.
# Everything binds 127.0.0.1. Knobs: KAFKA_PORT (19092), KAFKA_CTRL_PORT (19093),
# REDIS_PORT (16379), RATCHET_INFRA_DIR (<repo>/tmp/infra), RATCHET_CACHE (~/.cache/ratchet).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CTRL_PORT="${KAFKA_CTRL_PORT:-19093}"
REDIS_PORT="${REDIS_PORT:-16379}"
INFRA_DIR="${RATCHET_INFRA_DIR:-$REPO_ROOT/tmp/infra}"
export KAFKA_PORT KAFKA_CTRL_PORT REDIS_PORT
export RATCHET_INFRA_DIR="$INFRA_DIR"

KAFKA_STATE="$INFRA_DIR/kafka"
KAFKA_PID_FILE="$KAFKA_STATE/kafka.pid"
REDIS_STATE="$INFRA_DIR/redis"
REDIS_PID_FILE="$REDIS_STATE/redis.pid"
STOP_TIMEOUT=20

log() { printf '[infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  printf 'usage: %s up|down|status|env\n' "$0" >&2
  exit 2
}

print_env() {
  printf 'export KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT"
  printf 'export REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"
}

# Serialize up/down so parallel callers (e.g. several test processes) cannot race.
take_lock() {
  mkdir -p "$INFRA_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$INFRA_DIR/.lock"
    if ! flock -w 120 9; then
      die "timed out waiting for $INFRA_DIR/.lock"
    fi
  fi
}

cmdline_of() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# Prints the pid from $1 if it names a live process whose command line contains $2.
live_pid() {
  local pid_file="$1" pattern="$2" pid cmd
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmd="$(cmdline_of "$pid")" || return 1
  [[ "$cmd" == *"$pattern"* ]] || return 1
  printf '%s\n' "$pid"
}

# Waits up to $2 seconds for pid $1 to exit; returns 1 if it is still alive.
wait_gone() {
  local pid="$1" deadline=$(( $(date +%s) + $2 ))
  while kill -0 "$pid" 2>/dev/null; do
    # A zombie (not yet reaped) counts as gone.
    if [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == "Z" ]]; then return 0; fi
    if (( $(date +%s) >= deadline )); then return 1; fi
    sleep 0.2
  done
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# "9>&-": the daemons must not inherit the lock fd, or they would hold the lock forever.
kafka_up() {
  local libs
  libs="$(bash "$SCRIPT_DIR/kafka/fetch.sh" 9>&- | tail -n 1)"
  KAFKA_LIBS="$libs" bash "$SCRIPT_DIR/kafka/start.sh" 9>&- >&2
}

redis_up() {
  bash "$SCRIPT_DIR/redis/start.sh" 9>&- >&2
}

kafka_down() {
  local pid
  if ! pid="$(live_pid "$KAFKA_PID_FILE" "kafka.Kafka")"; then
    log "kafka: not running"
    rm -f "$KAFKA_PID_FILE"
    return 0
  fi
  log "kafka: stopping pid $pid (SIGTERM, up to ${STOP_TIMEOUT}s)"
  kill -TERM "$pid" 2>/dev/null || log "kafka: pid $pid vanished before SIGTERM"
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    log "kafka: still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || log "kafka: pid $pid vanished before SIGKILL"
    wait_gone "$pid" 10 || die "kafka: pid $pid survived SIGKILL"
  fi
  rm -f "$KAFKA_PID_FILE"
  log "kafka: stopped"
}

redis_down() {
  local pid
  if ! pid="$(live_pid "$REDIS_PID_FILE" "redis-server")"; then
    log "redis: not running"
    rm -f "$REDIS_PID_FILE"
    return 0
  fi
  log "redis: stopping pid $pid (SHUTDOWN NOSAVE)"
  if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1; then
    # redis-cli may report the dropped connection as an error; the wait below decides.
    log "redis: redis-cli shutdown returned non-zero; checking the process"
  fi
  if ! wait_gone "$pid" 5; then
    log "redis: still alive; sending SIGTERM (up to ${STOP_TIMEOUT}s)"
    kill -TERM "$pid" 2>/dev/null || log "redis: pid $pid vanished before SIGTERM"
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
      log "redis: still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || log "redis: pid $pid vanished before SIGKILL"
      wait_gone "$pid" 10 || die "redis: pid $pid survived SIGKILL"
    fi
  fi
  rm -f "$REDIS_PID_FILE"
  log "redis: stopped"
}

status() {
  local ok=0 pid
  if pid="$(live_pid "$KAFKA_PID_FILE" "kafka.Kafka")" && port_in_use "$KAFKA_PORT"; then
    printf 'kafka: running (pid %s) on 127.0.0.1:%s\n' "$pid" "$KAFKA_PORT"
  elif [[ -n "${pid:-}" ]]; then
    printf 'kafka: process %s alive but 127.0.0.1:%s not listening\n' "$pid" "$KAFKA_PORT"
    ok=1
  else
    printf 'kafka: stopped\n'
    ok=1
  fi
  pid=""
  if pid="$(live_pid "$REDIS_PID_FILE" "redis-server")" \
     && [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]; then
    printf 'redis: running (pid %s) on 127.0.0.1:%s\n' "$pid" "$REDIS_PORT"
  elif [[ -n "${pid:-}" ]]; then
    printf 'redis: process %s alive but 127.0.0.1:%s does not answer PING\n' "$pid" "$REDIS_PORT"
    ok=1
  else
    printf 'redis: stopped\n'
    ok=1
  fi
  return "$ok"
}

[[ $# -eq 1 ]] || usage
case "$1" in
  up)
    take_lock
    kafka_up
    redis_up
    log "infra up: Kafka 127.0.0.1:$KAFKA_PORT, Redis 127.0.0.1:$REDIS_PORT (state in $INFRA_DIR)"
    print_env
    ;;
  down)
    take_lock
    rc=0
    # Subshells: a failure stopping Kafka must not skip stopping Redis.
    ( kafka_down ) || rc=1
    ( redis_down ) || rc=1
    exit "$rc"
    ;;
  status)
    status
    ;;
  env)
    print_env
    ;;
  *)
    usage
    ;;
esac
