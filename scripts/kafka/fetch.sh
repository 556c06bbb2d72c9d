#!/usr/bin/env bash
# Ensures the Apache Kafka 3.9.1 broker jars (plus reload4j logging) are present in a
# cache outside the repository and prints the libs directory as the last stdout line.
#
#   RATCHET_CACHE   cache root (default: $HOME/.cache/ratchet)
#
# Jars are resolved from Maven Central with scripts/kafka/pom.xml. A marker file written
# only after a successful copy makes repeat runs a no-op.
set -euo pipefail

KAFKA_VERSION=3.9.1
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${RATCHET_CACHE:-$HOME/.cache/ratchet}"
KAFKA_HOME_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$KAFKA_HOME_DIR/libs"
MARKER="$KAFKA_HOME_DIR/.complete"

log() { printf '[kafka-fetch] %s\n' "$*" >&2; }

jars_present() {
  [[ -f "$MARKER" ]] \
    && [[ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] \
    && [[ -f "$LIBS_DIR/kafka-clients-$KAFKA_VERSION.jar" ]] \
    && [[ -f "$LIBS_DIR/reload4j-1.2.25.jar" ]]
}

if jars_present; then
  log "jars already cached in $LIBS_DIR"
  printf '%s\n' "$LIBS_DIR"
  exit 0
fi

if ! command -v mvn >/dev/null 2>&1; then
  log "ERROR: 'mvn' not found; install Maven (Debian: apt-get install -y maven)"
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  log "ERROR: 'java' not found; install a JRE >= 11 (Debian: apt-get install -y default-jre-headless)"
  exit 1
fi

mkdir -p "$KAFKA_HOME_DIR"
# Download into a temporary dir first so an interrupted run never leaves a half-filled libs dir.
TMP_DIR="$(mktemp -d "$KAFKA_HOME_DIR/libs.tmp.XXXXXX")"
trap 'rm -rf "$TMP_DIR"' EXIT

log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR ..."
start_s=$SECONDS
# Maven 3.8 prints bare ANSI reset codes even with -q -B; strip them (and blank lines).
mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$TMP_DIR" 2>&1 \
  | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2

if [[ ! -f "$TMP_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
  log "ERROR: maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $TMP_DIR"
  exit 1
fi

rm -rf "$LIBS_DIR"
mv "$TMP_DIR" "$LIBS_DIR"
trap - EXIT
date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - start_s))s"
printf '%s\n' "$LIBS_DIR"
