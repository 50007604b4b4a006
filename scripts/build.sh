#!/usr/bin/env bash
# Configures (once) and builds mq into build/. Extra arguments go to `meson compile`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized
fi
meson compile -C build -j "${MQ_BUILD_JOBS:-2}" "$@"
