#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-fuzz, seeds each
# corpus from the fixture frames, and runs every target for $1 seconds (default 20).
# Exits non-zero as soon as a target crashes or breaks an invariant; the reproducer is left in
# build-fuzz/fuzz-artifacts/.
set -euo pipefail

seconds="${1:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
fixtures="${MQ_FIXTURES:-$root/../shared/fixtures}"
targets=(frame_decoder json_header binary_header quote_bare_keys record)

cd "$root"
if [[ ! -f "$build/build.ninja" ]]; then
  CXX=clang++ CC=clang meson setup "$build" -Dfuzz=true -Dbuildtype=debugoptimized -Db_ndebug=false
else
  meson setup --reconfigure "$build" -Dfuzz=true >/dev/null
fi
meson compile -C "$build" "${targets[@]/#/fuzz_}"

# Seed corpora: whole frames for the stream decoder, header bytes for the header decoders, JSON
# bodies for QuoteBareKeys (the fixture index files hold plenty of fastjson text too).
corpus="$build/fuzz-corpus"
rm -rf "$corpus"
mkdir -p "$corpus"/{frame_decoder,json_header,binary_header,quote_bare_keys,record} "$build/fuzz-artifacts"
python3 - "$fixtures" "$corpus" <<'PY'
import pathlib, struct, sys
fixtures, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
frames = sorted(fixtures.glob("java-4.9.8/*.bin")) + sorted(fixtures.glob("clients/*/*/*.bin"))
for i, path in enumerate(frames):
    b = path.read_bytes()
    if len(b) > 64 * 1024:
        continue
    (corpus / "frame_decoder" / f"{i:05d}").write_bytes(b"\x00" + b)  # first byte = chunk size
    word = struct.unpack(">I", b[4:8])[0]
    kind, hl = word >> 24, word & 0xFFFFFF
    header, body = b[8:8 + hl], b[8 + hl:]
    (corpus / ("json_header" if kind == 0 else "binary_header") / f"{i:05d}").write_bytes(header)
    if kind == 0:
        (corpus / "quote_bare_keys" / f"h{i:05d}").write_bytes(header)
    if body and body[:1] not in (b"{", b"["):
        (corpus / "record" / f"{i:05d}").write_bytes(body)  # pull/query bodies and batch bodies
    if body[:1] in (b"{", b"["):
        (corpus / "quote_bare_keys" / f"b{i:05d}").write_bytes(body)
PY

status=0
for t in "${targets[@]}"; do
  echo "== fuzz_$t for ${seconds}s"
  if ! "$build/tests/fuzz/fuzz_$t" "$corpus/$t" -max_total_time="$seconds" -max_len=65536 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
      2> "$build/fuzz-$t.log"; then
    echo "!! fuzz_$t failed; see $build/fuzz-$t.log and $build/fuzz-artifacts/"
    tail -30 "$build/fuzz-$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/fuzz-$t.log" | tail -2
  fi
done
exit $status
