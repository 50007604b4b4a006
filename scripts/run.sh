#!/usr/bin/env bash
# The newcomer's first command: installs, builds and starts mq's main job on loopback with the
# embedded default config (the name server on 127.0.0.1:9876). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/src/app/mq "$@"
