#!/usr/bin/env bash
# Installs mq's build and test dependencies from Debian's packages. Idempotent.
set -euo pipefail
packages=(
  g++ meson ninja-build pkg-config cmake python3
  liburing-dev libmimalloc-dev libspdlog-dev libfmt-dev libbenchmark-dev doctest-dev
  rapidjson-dev libcli11-dev zlib1g-dev
  clang libclang-rt-14-dev   # libFuzzer targets (scripts/fuzz.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
