#!/usr/bin/env bash
# The web page end to end in headless Debian Chromium (playwright-core from npm) against
# `moondream serve --demo`. Screenshots go next to the binary: <build>/e2e/page-*.png.
# Usage: browser_test.sh BINARY
set -euo pipefail
MOONDREAM=$(realpath "${1:?usage: browser_test.sh path/to/moondream}")
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
source "$E2E_DIR/lib.sh"
trap cleanup_server EXIT

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "chromium is not installed (apt-get install chromium fonts-noto-cjk)"
export CHROMIUM
npm_install
start_server
SHOTS="$(dirname "$MOONDREAM")/e2e"
cd "$E2E_DIR/npm"
timeout 240 node browser.mjs "$BASE_URL" "$E2E_DIR/../../testdata/fixtures/images" "$SHOTS"
stop_server
echo "browser test: 1 passed, 0 failed (screenshots: $SHOTS)"
