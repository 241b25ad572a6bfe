#!/usr/bin/env bash
# The official `moondream` npm client against `moondream serve --demo`: caption plain and
# streamed, query with a picture buffer (re-encoded by sharp), text-only query, a bad
# picture (must be rejected with an HTTP 4xx, not hang). Usage: npm_client_test.sh BINARY
set -euo pipefail
MOONDREAM=$(realpath "${1:?usage: npm_client_test.sh path/to/moondream}")
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
source "$E2E_DIR/lib.sh"
trap cleanup_server EXIT

npm_install
start_server
echo "server on $BASE_URL"
cd "$E2E_DIR/npm"
timeout 120 node npm_client.mjs "$BASE_URL" "$E2E_DIR/../../testdata/fixtures/images"
stop_server
echo "npm client test: 1 passed, 0 failed"
