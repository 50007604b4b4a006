#include "tools/bench/histogram.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstring>

namespace mq::tools {

namespace hdr {
namespace {
// Bucket (power of two) and the linear sub-bucket of a counter index.
void Split(size_t index, int& bucket, uint64_t& sub) {
  const int raw = static_cast<int>(index >> kSubBucketHalfMagnitude) - 1;
  if (raw < 0) {  // the first half-bucket holds 0..1023 at unit resolution
    bucket = 0;
    sub = index;
    return;
  }
  bucket = raw;
  sub = (index & (kSubBucketHalf - 1)) + kSubBucketHalf;
}
}  // namespace

uint64_t LowestAt(size_t index) {
  int bucket = 0;
  uint64_t sub = 0;
  Split(index, bucket, sub);
  return sub << bucket;
}

uint64_t HighestAt(size_t index) {
  int bucket = 0;
  uint64_t sub = 0;
  Split(index, bucket, sub);
  return (sub << bucket) + (uint64_t{1} << bucket) - 1;
}
}  // namespace hdr

Histogram::Histogram() : counts_(new uint64_t[hdr::kCountsLen]()) {}

void Histogram::RecordN(uint64_t value_us, uint64_t n) {
  if (value_us > hdr::kHighestUs) {
    value_us = hdr::kHighestUs;
    saturated_ += n;
  }
  counts_[hdr::IndexOf(value_us)] += n;
  total_ += n;
  max_us_ = std::max(max_us_, value_us);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < hdr::kCountsLen; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  saturated_ += other.saturated_;
  max_us_ = std::max(max_us_, other.max_us_);
}

void Histogram::SubtractSnapshot(const Histogram& older) {
  total_ = 0;
  size_t top = 0;
  bool any = false;
  for (size_t i = 0; i < hdr::kCountsLen; ++i) {
    // A racing snapshot can see a newer bucket in `older` only if sources were mixed; clamp anyway.
    counts_[i] = counts_[i] >= older.counts_[i] ? counts_[i] - older.counts_[i] : 0;
    total_ += counts_[i];
    if (counts_[i] != 0) {
      top = i;
      any = true;
    }
  }
  saturated_ = saturated_ >= older.saturated_ ? saturated_ - older.saturated_ : 0;
  // Exact max only when it was set inside this interval; otherwise the top bucket's upper edge.
  if (!any) {
    max_us_ = 0;
  } else if (max_us_ == older.max_us_ || hdr::IndexOf(max_us_) != top) {
    max_us_ = std::min(hdr::HighestAt(top), hdr::kHighestUs);
  }
}

void Histogram::Reset() {
  std::memset(counts_.get(), 0, sizeof(uint64_t) * hdr::kCountsLen);
  total_ = 0;
  max_us_ = 0;
  saturated_ = 0;
}

uint64_t Histogram::min_us() const {
  for (size_t i = 0; i < hdr::kCountsLen; ++i) {
    if (counts_[i] != 0) return hdr::LowestAt(i);
  }
  return 0;
}

double Histogram::mean_us() const {
  if (total_ == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < hdr::kCountsLen; ++i) {
    if (counts_[i] == 0) continue;
    // Midpoint of the equivalent range, as HdrHistogram does.
    const double mid = (static_cast<double>(hdr::LowestAt(i)) + static_cast<double>(hdr::HighestAt(i))) / 2;
    sum += mid * static_cast<double>(counts_[i]);
  }
  return sum / static_cast<double>(total_);
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  uint64_t target = static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_)));
  target = std::clamp<uint64_t>(target, 1, total_);
  uint64_t seen = 0;
  for (size_t i = 0; i < hdr::kCountsLen; ++i) {
    seen += counts_[i];
    // Report the bucket's upper edge, never above the exact max: a percentile never undershoots.
    if (seen >= target) return std::min(hdr::HighestAt(i), max_us_);
  }
  return max_us_;
}

Percentiles Histogram::Summary() const {
  Percentiles p;
  p.count = total_;
  p.min_us = min_us();
  p.mean_us = mean_us();
  p.p50_us = ValueAtPercentile(50);
  p.p90_us = ValueAtPercentile(90);
  p.p99_us = ValueAtPercentile(99);
  p.p999_us = ValueAtPercentile(99.9);
  p.p9999_us = ValueAtPercentile(99.99);
  p.max_us = total_ == 0 ? 0 : max_us_;
  return p;
}

std::string Histogram::ToJson(bool with_buckets) const {
  const Percentiles p = Summary();
  char head[512];
  std::snprintf(head, sizeof(head),
                "{\"count\":%" PRIu64 ",\"min_us\":%" PRIu64 ",\"mean_us\":%.1f,\"p50_us\":%" PRIu64
                ",\"p90_us\":%" PRIu64 ",\"p99_us\":%" PRIu64 ",\"p99_9_us\":%" PRIu64 ",\"p99_99_us\":%" PRIu64
                ",\"max_us\":%" PRIu64 ",\"saturated\":%" PRIu64,
                p.count, p.min_us, p.mean_us, p.p50_us, p.p90_us, p.p99_us, p.p999_us, p.p9999_us, p.max_us,
                saturated_);
  std::string out = head;
  if (with_buckets) {
    out += ",\"buckets\":[";
    bool first = true;
    char cell[64];
    for (size_t i = 0; i < hdr::kCountsLen; ++i) {
      if (counts_[i] == 0) continue;
      std::snprintf(cell, sizeof(cell), "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hdr::LowestAt(i),
                    counts_[i]);
      out += cell;
      first = false;
    }
    out += "]";
  }
  out += "}";
  return out;
}

void Histogram::WritePercentileDistribution(std::FILE* out, int ticks_per_half) const {
  std::fprintf(out, "# value_us percentile total_count inverse_tail\n");
  if (total_ == 0) return;
  ticks_per_half = std::clamp(ticks_per_half, 1, 100);
  // Level k covers [100 - 100/2^k, 100 - 100/2^(k+1)) in `ticks_per_half` equal steps, so the tail
  // (where the interesting latencies are) gets as many points as the body.
  for (int level = 0; level < 40; ++level) {
    const double tail = 100.0 / std::ldexp(1.0, level);
    if (tail / 100.0 * static_cast<double>(total_) < 1.0) break;
    for (int tick = 0; tick < ticks_per_half; ++tick) {
      const double pct = 100.0 - tail + (tail / 2.0) * tick / ticks_per_half;
      const uint64_t value = ValueAtPercentile(std::max(pct, 1e-9));
      std::fprintf(out, "%12" PRIu64 " %.12f %10" PRIu64 " %14.2f\n", value, pct / 100.0,
                   static_cast<uint64_t>(std::ceil(pct / 100.0 * static_cast<double>(total_))),
                   100.0 / (100.0 - pct));
    }
  }
  std::fprintf(out, "%12" PRIu64 " %.12f %10" PRIu64 " %14s\n", max_us_, 1.0, total_, "inf");
}

void Histogram::SetFromCounts(const std::atomic<uint64_t>* counts, uint64_t max_us, uint64_t saturated) {
  total_ = 0;
  for (size_t i = 0; i < hdr::kCountsLen; ++i) {
    counts_[i] = counts[i].load(std::memory_order_acquire);
    total_ += counts_[i];
  }
  max_us_ = max_us;
  saturated_ = saturated;
}

AtomicHistogram::AtomicHistogram() : counts_(new std::atomic<uint64_t>[hdr::kCountsLen]) {
  for (size_t i = 0; i < hdr::kCountsLen; ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void AtomicHistogram::Record(uint64_t value_us) {
  if (value_us > hdr::kHighestUs) {
    value_us = hdr::kHighestUs;
    saturated_.fetch_add(1, std::memory_order_relaxed);
  }
  // Max before the count, and the snapshot reads counts before max: a snapshot's max is never below
  // a value it counts.
  uint64_t seen = max_us_.load(std::memory_order_relaxed);
  while (value_us > seen && !max_us_.compare_exchange_weak(seen, value_us, std::memory_order_relaxed)) {
  }
  counts_[hdr::IndexOf(value_us)].fetch_add(1, std::memory_order_release);
}

void AtomicHistogram::SnapshotInto(Histogram& out) const {
  out.SetFromCounts(counts_.get(), 0, 0);
  std::atomic_thread_fence(std::memory_order_acquire);
  out.SetMax(max_us_.load(std::memory_order_relaxed), saturated_.load(std::memory_order_relaxed));
}

Recorder::Recorder(size_t stripes) {
  stripes = std::clamp<size_t>(stripes, 1, 64);
  for (size_t i = 0; i < stripes; ++i) stripes_.push_back(std::make_unique<AtomicHistogram>());
}

AtomicHistogram& Recorder::Mine() {
  static std::atomic<uint32_t> next_thread{0};
  thread_local const uint32_t thread_slot = next_thread.fetch_add(1, std::memory_order_relaxed);
  return *stripes_[thread_slot % stripes_.size()];
}

void Recorder::SnapshotInto(Histogram& out) const {
  out.Reset();
  Histogram one;
  for (const auto& stripe : stripes_) {
    stripe->SnapshotInto(one);
    out.Merge(one);
  }
}

void StripedCounter::Add(uint64_t n) {
  static std::atomic<uint32_t> next_thread{0};
  thread_local const uint32_t thread_slot = next_thread.fetch_add(1, std::memory_order_relaxed);
  cells_[thread_slot % cells_.size()].value.fetch_add(n, std::memory_order_relaxed);
}

uint64_t StripedCounter::Sum() const {
  uint64_t sum = 0;
  for (const auto& cell : cells_) sum += cell.value.load(std::memory_order_relaxed);
  return sum;
}

std::string FormatPercentiles(const Percentiles& p) {
  char line[256];
  std::snprintf(line, sizeof(line),
                "p50 %" PRIu64 " p90 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64 " p99.99 %" PRIu64
                " max %" PRIu64 " us",
                p.p50_us, p.p90_us, p.p99_us, p.p999_us, p.p9999_us, p.max_us);
  return line;
}

}  // namespace mq::tools
