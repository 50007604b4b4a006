// Latency histograms for the load tools: log-linear buckets keeping 3 significant decimal digits
// (HdrHistogram's layout: 2048 linear sub-buckets per power of two), microsecond values from 0 to
// 1 hour. Fixed memory (~188 KiB), O(1) Record, exact max, mergeable.
//
// Histogram is single-threaded. AtomicHistogram takes Record from any thread (relaxed atomics) and is
// read by snapshotting: a reporter keeps the previous snapshot and subtracts it, so interval figures
// need no reset that would race with writers. Recorder stripes AtomicHistograms over threads so the
// many sender / listener threads do not contend on the same cache lines.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace mq::tools {

namespace hdr {
inline constexpr uint64_t kHighestUs = 3'600'000'000ULL;  // 1 h; larger values are clamped
inline constexpr int kSubBucketHalfMagnitude = 10;        // 1024: 2 * 10^3 < 2048 keeps 3 digits
inline constexpr uint64_t kSubBucketCount = 2ULL << kSubBucketHalfMagnitude;  // 2048
inline constexpr uint64_t kSubBucketHalf = kSubBucketCount / 2;
inline constexpr uint64_t kSubBucketMask = kSubBucketCount - 1;
inline constexpr int kBucketCount = 22;  // 2048 << 21 > kHighestUs
inline constexpr size_t kCountsLen = (kBucketCount + 1) * kSubBucketHalf;

// Index of the counter holding `value_us` (already clamped to kHighestUs).
inline size_t IndexOf(uint64_t value_us) {
  const int pow2_ceiling = 64 - __builtin_clzll(value_us | kSubBucketMask);
  const int bucket = pow2_ceiling - (kSubBucketHalfMagnitude + 1);
  const uint64_t sub = value_us >> bucket;
  return (static_cast<size_t>(bucket + 1) << kSubBucketHalfMagnitude) + (sub - kSubBucketHalf);
}
// Smallest and largest values that share the counter at `index`.
uint64_t LowestAt(size_t index);
uint64_t HighestAt(size_t index);
}  // namespace hdr

struct Percentiles {
  uint64_t count = 0;
  uint64_t min_us = 0;
  double mean_us = 0;
  uint64_t p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, p9999_us = 0;
  uint64_t max_us = 0;
};

class Histogram {
 public:
  Histogram();

  void Record(uint64_t value_us) { RecordN(value_us, 1); }
  void RecordN(uint64_t value_us, uint64_t n);
  void Merge(const Histogram& other);
  // this -= older, where `older` is an earlier snapshot of the same monotonic source. min/max of the
  // difference are taken from the buckets (max's exact value is only known for cumulative figures).
  void SubtractSnapshot(const Histogram& older);
  void Reset();

  uint64_t count() const { return total_; }
  uint64_t max_us() const { return max_us_; }
  uint64_t min_us() const;
  double mean_us() const;
  uint64_t saturated() const { return saturated_; }
  // Highest value equivalent to the one at the given percentile (0 < p <= 100); 0 when empty.
  uint64_t ValueAtPercentile(double percentile) const;
  Percentiles Summary() const;

  // {"count":..,"min_us":..,"mean_us":..,"p50_us":..,...,"max_us":..,"saturated":..,
  //  "buckets":[[lowest_us,count],...]} (non-empty buckets only).
  std::string ToJson(bool with_buckets = true) const;
  // HdrHistogram's .hgrm-style table: value_us percentile total_count 1/(1-percentile), ticks halving
  // the remaining distance to 100 %; gnuplot plots it with a log x axis on the last column.
  void WritePercentileDistribution(std::FILE* out, int ticks_per_half = 5) const;

  // Raw access for AtomicHistogram snapshots.
  void SetFromCounts(const std::atomic<uint64_t>* counts, uint64_t max_us, uint64_t saturated);
  void SetMax(uint64_t max_us, uint64_t saturated) {
    max_us_ = max_us;
    saturated_ = saturated;
  }

 private:
  std::unique_ptr<uint64_t[]> counts_;
  uint64_t total_ = 0;
  uint64_t max_us_ = 0;
  uint64_t saturated_ = 0;  // values above kHighestUs, counted at kHighestUs
};

class AtomicHistogram {
 public:
  AtomicHistogram();
  void Record(uint64_t value_us);
  // Copies the current counts into `out` (replacing it). Concurrent records may or may not be seen.
  void SnapshotInto(Histogram& out) const;

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> max_us_{0};
  std::atomic<uint64_t> saturated_{0};
};

// A fixed set of AtomicHistograms plus counters; each recording thread sticks to one stripe.
class Recorder {
 public:
  explicit Recorder(size_t stripes);
  void Record(uint64_t value_us) { Mine().Record(value_us); }
  // Cumulative snapshot over all stripes.
  void SnapshotInto(Histogram& out) const;

 private:
  AtomicHistogram& Mine();
  std::vector<std::unique_ptr<AtomicHistogram>> stripes_;
};

// Small thread-safe counter striped to avoid a single hot cache line.
class StripedCounter {
 public:
  void Add(uint64_t n);
  uint64_t Sum() const;

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  std::array<Cell, 16> cells_;
};

// "p50 120 p90 300 ..." in µs, for interval lines.
std::string FormatPercentiles(const Percentiles& p);

}  // namespace mq::tools
