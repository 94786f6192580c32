#!/usr/bin/env bash
# The production path, as docs/deploy.md gives it, from a wheel built from the committed tree:
# build the wheel, install it with constraints.txt into a fresh venv outside the checkout, then run
# `renkei --version`, `renkei db upgrade --no-seed`, `renkei db check` and a server's /readyz from it.
# .ci/run runs it (it installs from the package registry, which tests never do).
# Usage: scripts/wheel_smoke.sh [DATABASE_URL]   (default: a SQLite file in a temporary folder)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PYTHON="${PYTHON:-python3}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -1)"

echo "wheel smoke: building renkei $VERSION from the committed tree"
mkdir "$WORK/tree"
git -C "$ROOT" archive --format=tar HEAD | tar -x -C "$WORK/tree"
"$PYTHON" -m pip wheel -q --no-deps -w "$WORK/dist" "$WORK/tree"
WHEEL="$(ls "$WORK"/dist/renkei-"$VERSION"-py3-none-any.whl)"

"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q -c "$ROOT/constraints.txt" "$WHEEL"
cd "$WORK"  # nothing from the checkout is importable from here
RENKEI="$WORK/venv/bin/renkei"

out="$("$RENKEI" --version)"
echo "wheel smoke: $out"
case "$out" in *"$VERSION"*) ;; *) echo "wheel smoke: --version does not say $VERSION" >&2; exit 1 ;; esac

export HOME="$WORK/home" RENKEI_REQUIRE_DATABASE=1 RENKEI_SEED=0
mkdir -p "$HOME"
if "$RENKEI" db check >/dev/null 2>&1; then
  echo "wheel smoke: db check passed without RENKEI_DATABASE_URL under RENKEI_REQUIRE_DATABASE=1" >&2; exit 1
fi
export RENKEI_DATABASE_URL="${1:-sqlite:///$WORK/registry.sqlite3}"
"$RENKEI" db upgrade --no-seed
"$RENKEI" db check
"$RENKEI" db current

PORT="$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$RENKEI" serve --host 127.0.0.1 --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if body="$("$WORK/venv/bin/python" - "$PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
    print(r.status, json.dumps(json.load(r), ensure_ascii=False))
PY
)"; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; echo "wheel smoke: the server stopped" >&2; exit 1; }
  sleep 0.2
done
echo "wheel smoke: /readyz $body"
case "$body" in "200 "*"\"status\": \"ok\""*"\"version\": \"$VERSION\""*) ;;
  *) cat "$WORK/serve.log" >&2; echo "wheel smoke: /readyz is not ready with version $VERSION" >&2; exit 1 ;; esac
if "$RENKEI" snapshots --json | grep -q '"id"'; then
  echo "wheel smoke: a database made with --no-seed holds a snapshot" >&2; exit 1
fi
echo "wheel smoke: passed"
