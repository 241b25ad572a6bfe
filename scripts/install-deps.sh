#!/usr/bin/env bash
# Installs the Debian 12 packages moondream-local builds and tests with. Idempotent;
# skips apt entirely when everything is already there. With --arm, also the AArch64
# cross compiler and qemu-user that CI's kernel stage uses (tests/arm).
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev libgif-dev
  python3 curl
  chromium fonts-noto-cjk
)
# Node.js and npm (for the npm-client and browser tests): some machines carry a newer
# Node.js whose package already provides npm and conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ "${1:-}" = "--arm" ]; then
  packages+=(g++-aarch64-linux-gnu qemu-user googletest)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
