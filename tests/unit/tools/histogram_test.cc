// The load tools' latency histogram: 3 significant digits over 1 µs .. 1 h, percentiles that never
// undershoot, merging, interval snapshots and the JSON a user reads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/histogram.h"

using mq::tools::AtomicHistogram;
using mq::tools::Histogram;
using mq::tools::Recorder;
namespace hdr = mq::tools::hdr;

TEST_CASE("every value keeps 3 significant digits from 1 us to 1 hour") {
  for (uint64_t v : {1ULL, 7ULL, 999ULL, 1000ULL, 2047ULL, 2048ULL, 4097ULL, 123456ULL, 10'000'000ULL,
                     3'599'999'999ULL, 3'600'000'000ULL}) {
    const size_t index = hdr::IndexOf(v);
    REQUIRE(index < hdr::kCountsLen);
    CHECK(hdr::LowestAt(index) <= v);
    CHECK(hdr::HighestAt(index) >= v);
    // Largest error of any value sharing the counter, relative to the value: at most 0.1 %.
    const double error = static_cast<double>(hdr::HighestAt(index) - hdr::LowestAt(index));
    CHECK(error / static_cast<double>(v) <= 0.001);
  }
  // Values below 2048 are exact.
  for (uint64_t v = 0; v < 2048; ++v) CHECK(hdr::LowestAt(hdr::IndexOf(v)) == v);
}

TEST_CASE("indexes are monotonic and contiguous across bucket boundaries") {
  size_t gaps = 0;
  for (size_t i = 1; i <= hdr::IndexOf(hdr::kHighestUs); ++i) {
    if (hdr::LowestAt(i) != hdr::HighestAt(i - 1) + 1) ++gaps;
  }
  CHECK(gaps == 0);
  CHECK(hdr::IndexOf(hdr::kHighestUs) < hdr::kCountsLen);
}

TEST_CASE("percentiles of 1..10000 us are within 0.1 % and never undershoot") {
  Histogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.Record(v);
  CHECK(h.count() == 10000);
  CHECK(h.min_us() == 1);
  CHECK(h.max_us() == 10000);
  const auto p = h.Summary();
  CHECK(p.p50_us >= 5000);
  CHECK(p.p50_us <= 5005);
  CHECK(p.p90_us >= 9000);
  CHECK(p.p90_us <= 9009);
  CHECK(p.p99_us >= 9900);
  CHECK(p.p99_us <= 9910);
  CHECK(p.p999_us >= 9990);
  CHECK(p.p9999_us >= 9999);
  CHECK(p.max_us == 10000);
  CHECK(std::abs(p.mean_us - 5000.5) < 5.0);
}

TEST_CASE("one stall among many fast samples shows at p99.99 and max") {
  Histogram h;
  for (int i = 0; i < 99'980; ++i) h.Record(100);
  for (int i = 0; i < 20; ++i) h.Record(2'000'000);  // twenty 2 s stalls: 0.02 % of samples
  const auto p = h.Summary();
  CHECK(p.p99_us == 100);
  CHECK(p.p999_us == 100);
  CHECK(p.p9999_us >= 2'000'000);
  CHECK(p.max_us == 2'000'000);
}

TEST_CASE("values beyond one hour are clamped and counted as saturated") {
  Histogram h;
  h.Record(10'000'000'000ULL);
  h.Record(5);
  CHECK(h.count() == 2);
  CHECK(h.saturated() == 1);
  CHECK(h.max_us() == hdr::kHighestUs);
  CHECK(h.ValueAtPercentile(100) == hdr::kHighestUs);
}

TEST_CASE("an empty histogram reports zeros") {
  Histogram h;
  const auto p = h.Summary();
  CHECK(p.count == 0);
  CHECK(p.p99_us == 0);
  CHECK(p.max_us == 0);
  CHECK(h.ToJson() == std::string("{\"count\":0,\"min_us\":0,\"mean_us\":0.0,\"p50_us\":0,\"p90_us\":0,"
                                  "\"p99_us\":0,\"p99_9_us\":0,\"p99_99_us\":0,\"max_us\":0,"
                                  "\"saturated\":0,\"buckets\":[]}"));
}

TEST_CASE("merging per-thread histograms equals recording everything in one") {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(6.0, 1.5);
  Histogram all;
  Histogram parts[4];
  for (int i = 0; i < 40000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng)) + 1;
    all.Record(v);
    parts[i % 4].Record(v);
  }
  Histogram merged;
  for (auto& part : parts) merged.Merge(part);
  CHECK(merged.count() == all.count());
  CHECK(merged.max_us() == all.max_us());
  CHECK(merged.ToJson() == all.ToJson());
}

TEST_CASE("interval = snapshot minus the previous snapshot") {
  AtomicHistogram live;
  Histogram previous;
  Histogram now;
  for (int i = 0; i < 100; ++i) live.Record(1000);
  live.SnapshotInto(previous);
  for (int i = 0; i < 50; ++i) live.Record(10);
  live.SnapshotInto(now);
  Histogram interval;
  interval.Merge(now);
  interval.SubtractSnapshot(previous);
  CHECK(interval.count() == 50);
  CHECK(interval.ValueAtPercentile(99) == 10);
  CHECK(interval.max_us() == 10);  // the cumulative max (1000) is not this interval's
  CHECK(now.count() == 150);
  CHECK(now.max_us() == 1000);
}

TEST_CASE("a striped recorder counts every record from many threads") {
  Recorder recorder(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&recorder, t] {
      for (int i = 0; i < 10000; ++i) recorder.Record(static_cast<uint64_t>(t * 100 + 1));
    });
  }
  for (auto& thread : threads) thread.join();
  Histogram snapshot;
  recorder.SnapshotInto(snapshot);
  CHECK(snapshot.count() == 80000);
  CHECK(snapshot.max_us() == 701);
  CHECK(snapshot.min_us() == 1);
}

TEST_CASE("JSON lists the percentiles and the non-empty buckets") {
  Histogram h;
  h.RecordN(3, 2);
  h.Record(5000);
  const std::string json = h.ToJson();
  CHECK(json.find("\"count\":3") != std::string::npos);
  CHECK(json.find("\"max_us\":5000") != std::string::npos);
  CHECK(json.find("\"buckets\":[[3,2],[5000,1]]") != std::string::npos);
  CHECK(h.ToJson(false).find("buckets") == std::string::npos);
}

TEST_CASE("the percentile distribution ends at the max with rising percentiles") {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v);
  char buffer[1 << 16] = {};
  std::FILE* out = fmemopen(buffer, sizeof(buffer) - 1, "w");
  REQUIRE(out != nullptr);
  h.WritePercentileDistribution(out, 5);
  std::fclose(out);
  const std::string text = buffer;
  CHECK(text.rfind("# value_us", 0) == 0);
  CHECK(text.find(" 1.000000000000     100000            inf") != std::string::npos);
  // Rising percentile column.
  double last = -1;
  int lines = 0;
  size_t pos = text.find('\n') + 1;
  while (pos < text.size()) {
    unsigned long long value = 0;
    double pct = 0;
    if (std::sscanf(text.c_str() + pos, "%llu %lf", &value, &pct) != 2) break;
    CHECK(pct >= last);
    last = pct;
    ++lines;
    pos = text.find('\n', pos) + 1;
    if (pos == 0) break;
  }
  CHECK(lines > 50);
}
