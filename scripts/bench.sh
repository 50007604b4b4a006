#!/usr/bin/env bash
# The standard benchmark run (issue 5). Installs what it needs, builds, measures the machine's raw
# baselines, starts a local name server + broker on loopback with a temporary store (ASYNC_FLUSH,
# then SYNC_FLUSH), runs the fixed scenario matrix with `mq bench`, and writes
# bench-results/<date>/report.md with a latency-percentile plot of the end-to-end scenario.
#
#   scripts/bench.sh [seconds per scenario, default 10]
#   env: BENCH_E2E_RATE (50000 msgs/s), BENCH_BUILD_DIR (build), MQ_BENCH_CMD (default
#        "<build>/src/app/mq bench"), MQ_IO_BACKEND (auto|uring|epoll), BENCH_OUT (result dir)
# Every process it starts is stopped on exit (trap), by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION_S=${1:-${BENCH_DURATION_S:-10}}
E2E_RATE=${BENCH_E2E_RATE:-50000}
BUILD=${BENCH_BUILD_DIR:-build}
STAMP=$(date +%Y-%m-%dT%H%M%S)
OUT=${BENCH_OUT:-$ROOT/bench-results/$STAMP}

scripts/setup.sh
if ! command -v gnuplot >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bench: installing gnuplot-nox"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gnuplot-nox
fi
if [ ! -f "$BUILD/build.ninja" ]; then meson setup "$BUILD" --buildtype=debugoptimized; fi
meson compile -C "$BUILD" -j "${MQ_BUILD_JOBS:-2}" mq baseline_bench
MQ="$ROOT/$BUILD/src/app/mq"
read -r -a BENCH <<<"${MQ_BENCH_CMD:-$MQ bench}"

mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mq-bench.XXXXXX")
BROKER_PID=""
CONSUMER_PID=""
cleanup() {
  for pid in $CONSUMER_PID $BROKER_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" | tee -a "$OUT/run.log"; }

# ---- machine ----
{
  echo "cores=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel=$(uname -r)"
  echo "memory_gib=$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)"
  echo "fs=$(df -T "$WORK" | awk 'NR==2 {print $2}')"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo +dirty)"
} >"$OUT/machine.txt"

# ---- baselines (same run, same machine) ----
log "baselines: memcpy, loopback TCP request/response and stream, fdatasync"
MQ_BENCH_DIR="$WORK" "$BUILD/bench/baseline_bench" --benchmark_min_time=1 \
  --benchmark_out="$OUT/baseline.json" --benchmark_out_format=json >>"$OUT/run.log" 2>&1

# ---- broker lifecycle ----
NS_ADDR=""
start_broker() {  # $1 = ASYNC_FLUSH | SYNC_FLUSH
  local flush=$1 dir="$WORK/$1"
  mkdir -p "$dir/home" "$dir/store" "$dir/logs"
  HOME="$dir/home" "$MQ" --namesrv-port 0 -p 0 --pid-file "$dir/mq.pid" \
    "storePathRootDir=$dir/store" "flushDiskType=$flush" "logDir=$dir/logs" >"$dir/boot.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 150); do
    if grep -q "The broker\[" "$dir/boot.log"; then break; fi
    kill -0 "$BROKER_PID" 2>/dev/null || { cat "$dir/boot.log"; echo "bench: mq exited"; exit 1; }
    sleep 0.2
  done
  grep -q "The broker\[" "$dir/boot.log" || { cat "$dir/boot.log"; echo "bench: broker did not boot"; exit 1; }
  NS_ADDR="127.0.0.1:$(grep -m1 'Name Server boot success' "$dir/boot.log" | sed -E 's/.*listening on [^:]+:([0-9]+).*/\1/')"
  cp "$dir/boot.log" "$OUT/boot-$flush.log"
  sleep 1  # the broker's first registration reaches the name server
  echo "rss_idle_kib_$flush=$(awk '/VmRSS/ {print $2}' /proc/$BROKER_PID/status)" >>"$OUT/machine.txt"
  echo "anon_idle_kib_$flush=$(awk '/RssAnon/ {print $2}' /proc/$BROKER_PID/status)" >>"$OUT/machine.txt"
  grep -m1 -oE "io backend [a-z_]+" "$dir/boot.log" | sed "s/io backend /io_backend=/" >>"$OUT/machine.txt" || true
  log "$flush broker up (pid $BROKER_PID), name server $NS_ADDR"
}
stop_broker() {
  local flush=$1
  echo "rss_after_kib_$flush=$(awk '/VmRSS/ {print $2}' /proc/$BROKER_PID/status)" >>"$OUT/machine.txt"
  kill -TERM "$BROKER_PID"
  for _ in $(seq 100); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

producer() {  # $1 = scenario name, rest = mq bench producer options
  local name=$1; shift
  log "scenario $name: producer $*"
  "${BENCH[@]}" producer -n "$NS_ADDR" -d "$DURATION_S" --json "$OUT/$name.json" "$@" \
    >"$OUT/$name.txt" 2>&1 || log "scenario $name: exit code $?"
  tail -n 4 "$OUT/$name.txt" | tee -a "$OUT/run.log"
}

# ---- ASYNC_FLUSH matrix ----
start_broker ASYNC_FLUSH
# Warm-up: routes, topic auto-creation, page faults of the first segment.
"${BENCH[@]}" producer -n "$NS_ADDR" -t BenchmarkTest -w 8 -d 2 >"$OUT/warmup.txt" 2>&1 || true
producer sync_128B_64t -t BenchmarkTest -w 64 -s 128
producer sync_1KiB_32t -t BenchmarkTest -w 32 -s 1024
producer async_128B_16t -t BenchmarkTest -w 16 -s 128 -y
producer batch32_128B_16t -t BenchmarkTest -w 16 -s 128 -b 32
producer oneway_128B_16t -t BenchmarkTest -w 16 -s 128 --oneway

# End-to-end: a consumer on a fresh topic, then producers at a fixed rate (open loop).
"${BENCH[@]}" producer -n "$NS_ADDR" -t BenchE2E -w 1 -q 1 >/dev/null 2>&1 || true  # creates the topic
log "scenario e2e: consumer + producer at $E2E_RATE msgs/s"
"${BENCH[@]}" consumer -n "$NS_ADDR" -t BenchE2E -g bench_e2e -w 20 -d $((DURATION_S + 8)) \
  --json "$OUT/e2e_consumer.json" >"$OUT/e2e_consumer.txt" 2>&1 &
CONSUMER_PID=$!
sleep 4  # subscription + rebalance
producer e2e_producer -t BenchE2E -w 32 -s 128 -r "$E2E_RATE"
wait "$CONSUMER_PID" || log "e2e consumer: exit code $?"
CONSUMER_PID=""
tail -n 5 "$OUT/e2e_consumer.txt" | tee -a "$OUT/run.log"

# Backlog drain: a new group reads BenchmarkTest (everything the matrix above stored) from the start.
log "scenario drain: new group from the first offset"
"${BENCH[@]}" consumer -n "$NS_ADDR" -t BenchmarkTest -g "bench_drain_$STAMP" -w 20 --from-first \
  --pull-batch-size 32 -d $((DURATION_S * 2)) --idle-exit-s 3 --json "$OUT/drain.json" \
  >"$OUT/drain.txt" 2>&1 || log "drain: exit code $?"
tail -n 5 "$OUT/drain.txt" | tee -a "$OUT/run.log"
stop_broker ASYNC_FLUSH

# ---- SYNC_FLUSH ----
start_broker SYNC_FLUSH
"${BENCH[@]}" producer -n "$NS_ADDR" -t BenchmarkTest -w 8 -d 2 >>"$OUT/warmup.txt" 2>&1 || true
producer syncflush_sync_128B_64t -t BenchmarkTest -w 64 -s 128
producer syncflush_batch32_128B_16t -t BenchmarkTest -w 16 -s 128 -b 32
stop_broker SYNC_FLUSH

# ---- report ----
python3 - "$OUT" "$DURATION_S" "$E2E_RATE" <<'PY'
import json, os, sys
out, duration_s, e2e_rate = sys.argv[1], sys.argv[2], int(sys.argv[3])

def load(name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

machine = dict(l.strip().split("=", 1) for l in open(os.path.join(out, "machine.txt")) if "=" in l)
base = {}
for b in json.load(open(os.path.join(out, "baseline.json")))["benchmarks"]:
    base[b["name"]] = b
def rate(name, key="items_per_second"):
    b = base.get(name)
    return b.get(key, 0.0) if b else 0.0
tcp128_64 = rate("BM_Baseline_TcpRequestResponse/128/real_time/threads:64")
tcp1k_32 = rate("BM_Baseline_TcpRequestResponse/1024/real_time/threads:32")
stream_bps = rate("BM_Baseline_TcpStream/real_time", "bytes_per_second")
memcpy_bps = rate("BM_Baseline_Memcpy/real_time", "bytes_per_second")
fsync_rate = rate("BM_Baseline_Fdatasync/real_time")
mib = 1024.0 * 1024.0

rows = []
def add(label, name, baseline_label, baseline_value, kind="rate", size=128):
    r = load(name)
    if r is None:
        rows.append(f"| {label} | (no result) | | | | | | | {baseline_label} | |")
        return
    lat = r["latency_us"]
    tps = r["tps"]
    ratio = ""
    if baseline_value:
        ratio = "%.2f" % ((tps * size if kind == "bytes" else tps) / baseline_value)
    rows.append("| %s | %s | %.1f | %s | %s | %s | %s | %d | %s | %s |" % (
        label, f"{tps:,.0f}", tps * size / mib, lat["p50_us"], lat["p99_us"], lat["p99_9_us"],
        lat["max_us"], r["failed"], baseline_label, ratio))

add("sync 128 B x 64 thr", "sync_128B_64t", "TCP req/resp 128 B x 64 conn: %s/s" % f"{tcp128_64:,.0f}", tcp128_64)
add("sync 1 KiB x 32 thr", "sync_1KiB_32t", "TCP req/resp 1 KiB x 32 conn: %s/s" % f"{tcp1k_32:,.0f}", tcp1k_32, size=1024)
add("async 128 B x 16 thr", "async_128B_16t", "TCP req/resp 128 B x 64 conn", tcp128_64)
add("batch 32 x 128 B x 16 thr", "batch32_128B_16t", "TCP stream %.0f MiB/s (payload bytes)" % (stream_bps / mib), stream_bps, "bytes")
add("oneway 128 B x 16 thr", "oneway_128B_16t", "TCP stream (payload bytes)", stream_bps, "bytes")
senders_bound = 64 * fsync_rate
add("SYNC_FLUSH sync 128 B x 64 thr", "syncflush_sync_128B_64t",
    "64 senders x fdatasync rate %.0f/s = %s/s" % (fsync_rate, f"{senders_bound:,.0f}"), senders_bound)
add("SYNC_FLUSH batch 32 x 128 B x 16 thr", "syncflush_batch32_128B_16t", "TCP stream (payload bytes)", stream_bps, "bytes")

e2e_p, e2e_c, drain = load("e2e_producer"), load("e2e_consumer"), load("drain")
lines = []
lines.append("# mq benchmark report\n")
lines.append("Run `%s`, %s s per scenario, client and broker on the same machine over loopback.\n" %
             (os.path.basename(out), duration_s))
lines.append("## Machine\n")
lines.append("| cores | CPU | kernel | memory | store fs | io backend | commit |")
lines.append("|---|---|---|---|---|---|---|")
lines.append("| %s | %s | %s | %s GiB | %s | %s | %s |\n" % (machine.get("cores"), machine.get("cpu"), machine.get("kernel"),
             machine.get("memory_gib"), machine.get("fs"), machine.get("io_backend", "?"), machine.get("commit")))
lines.append("## Baselines (same run)\n")
lines.append("| baseline | figure |")
lines.append("|---|---|")
lines.append("| memcpy, 1 MiB blocks | %.1f GiB/s |" % (memcpy_bps / mib / 1024))
for conns in (1, 32, 64):
    for size in (128, 1024):
        v = rate("BM_Baseline_TcpRequestResponse/%d/real_time/threads:%d" % (size, conns))
        lines.append("| loopback TCP request/response %d B, %d connection(s) | %s round trips/s |" % (size, conns, f"{v:,.0f}"))
lines.append("| loopback TCP stream, 64 KiB writes | %.0f MiB/s |" % (stream_bps / mib))
lines.append("| 4 KiB write + fdatasync | %s /s (%.0f us each) |\n" % (f"{fsync_rate:,.0f}", 1e6 / fsync_rate if fsync_rate else 0))
lines.append("## Producer scenarios\n")
lines.append("Latency in µs per request (a batch request carries 32 messages); open-loop runs measure from the intended send time.\n")
lines.append("| scenario | msgs/s | payload MiB/s | p50 | p99 | p99.9 | max | failed | baseline | ratio |")
lines.append("|---|---|---|---|---|---|---|---|---|---|")
lines += rows
lines.append("")
lines.append("## End to end at %s msgs/s (ASYNC_FLUSH)\n" % f"{e2e_rate:,}")
if e2e_p and e2e_c:
    b, s, l = e2e_c["born_to_consume_us"], e2e_c["store_to_consume_us"], e2e_p["latency_us"]
    lines.append("| figure | rate | p50 | p90 | p99 | p99.9 | p99.99 | max |")
    lines.append("|---|---|---|---|---|---|---|---|")
    lines.append("| send (producer) | %s/s sent | %s | %s | %s | %s | %s | %s |" % (f"{e2e_p['tps']:,.0f}", l["p50_us"], l["p90_us"], l["p99_us"], l["p99_9_us"], l["p99_99_us"], l["max_us"]))
    lines.append("| born-to-consume | %s/s consumed | %s | %s | %s | %s | %s | %s |" % (f"{e2e_c['tps']:,.0f}", b["p50_us"], b["p90_us"], b["p99_us"], b["p99_9_us"], b["p99_99_us"], b["max_us"]))
    lines.append("| store-to-consume (1 ms store clock) | | %s | %s | %s | %s | %s | %s |" % (s["p50_us"], s["p90_us"], s["p99_us"], s["p99_9_us"], s["p99_99_us"], s["max_us"]))
    lines.append("\nAchieved / target rate: %.2f. Plot: ![latency percentiles](e2e_latency.svg)\n" % (e2e_p["tps"] / e2e_rate))
    # Percentile distributions for gnuplot: x = 1/(1-p).
    for key, hist in (("born", b), ("store", s), ("send", l)):
        total = hist["count"]
        with open(os.path.join(out, "e2e_%s.dat" % key), "w") as f:
            seen = 0
            for lowest, count in hist.get("buckets", []):
                seen += count
                p = seen / total
                if p >= 1.0:
                    f.write("%g %g\n" % (1e6, max(lowest, 1) / 1000.0))
                    break
                f.write("%g %g\n" % (1.0 / (1.0 - p), max(lowest, 1) / 1000.0))
else:
    lines.append("(no result: see e2e_producer.txt / e2e_consumer.txt)\n")
lines.append("## Backlog drain by a new consumer group\n")
if drain:
    bytes_s = drain["tps"] * 128
    lines.append("%s messages in %.2f s: **%s msgs/s** (%.1f MiB/s of 128 B-1 KiB bodies; TCP stream baseline %.0f MiB/s)\n" %
                 (f"{drain['consumed']:,}", drain["active_s"], f"{drain['tps']:,.0f}", bytes_s / mib, stream_bps / mib))
else:
    lines.append("(no result: see drain.txt)\n")
lines.append("## Broker memory\n")
for flush in ("ASYNC_FLUSH", "SYNC_FLUSH"):
    idle, after = machine.get("rss_idle_kib_" + flush), machine.get("rss_after_kib_" + flush)
    anon = machine.get("anon_idle_kib_" + flush)
    if idle:
        lines.append("- %s: at idle %.1f MiB anonymous (heap, stacks: the figure the 100 MiB target is about), "
                     "%.1f MiB resident with mapped store files; %.1f MiB resident after the runs" %
                     (flush, int(anon or 0) / 1024, int(idle) / 1024, int(after or 0) / 1024))
lines.append("\nRaw outputs: `*.txt` (interval lines), `*.json` (whole-run histograms), `baseline.json`, `run.log`.")
open(os.path.join(out, "report.md"), "w").write("\n".join(lines) + "\n")
PY

if [ -f "$OUT/e2e_born.dat" ]; then
  gnuplot <<GP || log "gnuplot failed"
set terminal svg size 900,520 noenhanced
set output "$OUT/e2e_latency.svg"
set title "mq end to end at $E2E_RATE msgs/s (ASYNC_FLUSH, loopback)"
set logscale x
set logscale y
set xlabel "percentile (%)"
set ylabel "latency (ms)"
set xtics ("0" 1, "90" 10, "99" 100, "99.9" 1000, "99.99" 10000, "99.999" 100000)
set grid
set key top left
plot "$OUT/e2e_born.dat" using 1:2 with steps lw 2 title "born-to-consume", \
     "$OUT/e2e_store.dat" using 1:2 with steps lw 2 title "store-to-consume (1 ms clock)", \
     "$OUT/e2e_send.dat" using 1:2 with steps lw 2 title "send (from intended time)"
GP
fi
log "report: $OUT/report.md"
