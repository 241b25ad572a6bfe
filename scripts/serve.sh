#!/usr/bin/env bash
# Builds and starts the server on http://127.0.0.1:7860 (extra arguments go to
# `moondream serve`, e.g. --host 0.0.0.0, --config config.yaml, --model/--mmproj).
# With no arguments, no config.yaml and no model files in models/, it starts the
# random-weight demo model so the page can be tried, and says which files to add.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ $# -eq 0 ] && [ ! -f config.yaml ] && [ "$(ls models/*.gguf 2>/dev/null | wc -l)" -lt 2 ]; then
  echo "No model files in models/: starting the demo model (random weights, nonsense answers)."
  echo "For real answers put moondream2-text-model-f16.gguf and moondream2-mmproj-f16.gguf"
  echo "into models/ (or run: build/moondream pull), then run this script again."
  exec build/moondream serve --demo
fi
exec build/moondream serve "$@"
