#!/usr/bin/env bash
# Starts Debian's redis-server on loopback for tests (no persistence, daemonized).
#
#   REDIS_PORT        port                         (default 16379)
#   RATCHET_INFRA_DIR state root                   (default <repo>/tmp/infra); redis state in ./redis
#
# Idempotent: if the server recorded in the pid file is alive and answers PING it is reused.
# Messages go to stderr; nothing is printed on stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

PORT="${REDIS_PORT:-16379}"
INFRA_DIR="${RATCHET_INFRA_DIR:-$REPO_ROOT/tmp/infra}"
STATE_DIR="$INFRA_DIR/redis"
PID_FILE="$STATE_DIR/redis.pid"
LOG_FILE="$STATE_DIR/redis.log"
TIMEOUT="${REDIS_START_TIMEOUT:-15}"

log() { printf '[redis] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for bin in redis-server redis-cli; do
  command -v "$bin" >/dev/null 2>&1 \
    || die "'$bin' not found; install it (Debian: apt-get install -y redis-server redis-tools)"
done

pong() {
  local reply
  reply="$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" || return 1
  [[ "$reply" == "PONG" ]]
}

is_our_redis() {
  local pid="$1" exe
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -d "/proc/$pid" ]] || return 1
  exe="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$exe" == *redis-server* ]]
}

mkdir -p "$STATE_DIR"

if [[ -f "$PID_FILE" ]]; then
  old_pid="$(cat "$PID_FILE")"
  if is_our_redis "$old_pid"; then
    if pong; then
      log "redis already running (pid $old_pid) on 127.0.0.1:$PORT; reusing it"
      exit 0
    fi
    die "pid $old_pid is our redis but 127.0.0.1:$PORT does not answer PING; run 'bash scripts/infra.sh down' first"
  fi
  log "removing stale pid file (pid $old_pid is not running)"
  rm -f "$PID_FILE"
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port 127.0.0.1:$PORT is already in use by another process; stop it or set REDIS_PORT"
fi

# Hermetic: no dump or AOF from an earlier run may be loaded.
rm -rf "$STATE_DIR"/*.rdb "$STATE_DIR"/appendonly* "$STATE_DIR"/appendonlydir
if [[ -f "$LOG_FILE" ]]; then mv -f "$LOG_FILE" "$LOG_FILE.prev"; fi

log "starting redis-server on 127.0.0.1:$PORT, log: $LOG_FILE"
start_ms=$(date +%s%3N)
redis-server \
  --bind 127.0.0.1 \
  --port "$PORT" \
  --protected-mode yes \
  --save "" \
  --appendonly no \
  --daemonize yes \
  --pidfile "$PID_FILE" \
  --logfile "$LOG_FILE" \
  --dir "$STATE_DIR" </dev/null >&2

until pong; do
  if (( $(date +%s%3N) - start_ms >= TIMEOUT * 1000 )); then
    if [[ -s "$LOG_FILE" ]]; then tail -n 40 "$LOG_FILE" >&2; fi
    die "redis did not answer PING on 127.0.0.1:$PORT within ${TIMEOUT}s"
  fi
  sleep 0.1
done
# The daemonized server writes its pid file shortly after forking.
until [[ -s "$PID_FILE" ]]; do
  if (( $(date +%s%3N) - start_ms >= TIMEOUT * 1000 )); then
    die "redis answers PING but never wrote $PID_FILE"
  fi
  sleep 0.1
done
log "redis up (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT after $(( $(date +%s%3N) - start_ms )) ms"
