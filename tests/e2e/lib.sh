# Shared by the e2e scripts: installing the npm packages once, starting
# `moondream serve --demo` on a free port and stopping it with SIGTERM.
# Sourced with E2E_DIR set to tests/e2e and MOONDREAM to the binary.

skip() {
  echo "SKIPPED: $*"
  exit 0
}

# Installs tests/e2e/npm/node_modules (moondream client, playwright-core) once; a lock
# keeps parallel ctest runs from installing at the same time.
npm_install() {
  command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
  command -v npm >/dev/null 2>&1 || skip "npm is not installed (apt-get install npm)"
  local dir="$E2E_DIR/npm"
  (
    flock 9
    if [ ! -d "$dir/node_modules/moondream" ] || [ ! -d "$dir/node_modules/playwright-core" ] \
       || [ ! -d "$dir/node_modules/sharp" ]; then
      echo "installing npm packages in $dir"
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) || exit 1
    fi
  ) 9>"${TMPDIR:-/tmp}/moondream-e2e-npm.lock" || { echo "npm install failed"; exit 1; }
}

# Starts the demo server; sets SERVER_PID, PORT, BASE_URL. Extra args go to serve.
start_server() {
  SERVER_LOG=$(mktemp)
  "$MOONDREAM" serve --demo --port 0 --log-level info "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$SERVER_LOG" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$PORT" ]; then
    echo "server did not start:"; cat "$SERVER_LOG"; exit 1
  fi
  BASE_URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 300); do
    if curl -fs "$BASE_URL/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not become healthy:"; cat "$SERVER_LOG"; exit 1
}

# SIGTERM, then checks the graceful exit status 0.
stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  if [ "$rc" -ne 0 ]; then
    echo "server exited with status $rc after SIGTERM:"; tail -20 "$SERVER_LOG"; return 1
  fi
  return 0
}

cleanup_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
}
