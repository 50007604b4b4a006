#!/usr/bin/env bash
# Installs, builds and runs every test: the whole meson suite on the io_uring backend and again on
# the epoll backend, a replay of the fuzz corpora, a short libFuzzer run, and the micro benchmarks
# with tiny parameters. Last line: "N passed, N failed", summed from the real runs.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

# Real third-party clients for the interop tests: ali-ons from npm, when node and npm are present.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -f tests/interop/node_modules/ali-ons/package.json ]; then
    (cd tests/interop && timeout 300 npm install --no-audit --no-fund --loglevel=error) ||
      echo "interop: npm install failed; the ali-ons interop test will be skipped"
  fi
else
  echo "interop: node/npm not installed; the ali-ons interop test will be skipped"
fi

passed=0
failed=0
add_counts() {  # "<passed> <failed>"
  passed=$((passed + $1))
  failed=$((failed + $2))
}

for backend in uring epoll; do
  echo "=== meson test, io backend: $backend ==="
  MQ_IO_BACKEND=$backend meson test -C build --print-errorlogs --num-processes 2 \
      --logbase "testlog-$backend" --no-rebuild
  read -r p f < <(python3 scripts/count_tests.py "build/meson-logs/testlog-$backend.json")
  echo "backend $backend: $p passed, $f failed"
  add_counts "$p" "$f"
done

if [ "${MQ_SKIP_FUZZ:-0}" != "1" ]; then
  echo "=== libFuzzer short run ==="
  if scripts/fuzz.sh "${MQ_FUZZ_SECONDS:-10}"; then add_counts 1 0; else add_counts 0 1; fi
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
