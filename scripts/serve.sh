#!/usr/bin/env bash
# Builds and starts the server on http://127.0.0.1:7860 (extra arguments go to
# `moondream serve`, e.g. --demo, --host 0.0.0.0, --config config.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/moondream serve "$@"
