// Shared pieces of `mq bench producer|consumer`: clocks, the Ctrl-C stop flag, interval lines and
// the JSON run file. Everything here is bounded (interval history, error text).
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tools/bench/histogram.h"

namespace mq::tools {

// User property carrying the producer's send time (wall clock, µs since the epoch) so consumers in
// another process can measure born-to-consume at µs resolution; RocketMQ's own born timestamp is ms.
inline constexpr const char* kSendTimeProperty = "BENCH_SEND_US";
inline constexpr size_t kMaxIntervals = 3600;  // history kept for the JSON file

int64_t MonoNowUs();  // steady clock, for intervals and latencies inside one process
int64_t WallNowUs();  // system clock, for timestamps compared across processes
void SleepUntilMonoUs(int64_t deadline_us);

// SIGINT/SIGTERM set the stop flag for the duration of a run; the previous handlers come back after.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  static bool Requested();
  static void Request();
};

// The first few distinct failure texts, for the closing summary.
class ErrorSamples {
 public:
  void Add(const std::string& text);
  std::vector<std::string> Take() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> texts_;
};

struct IntervalRow {
  double at_s = 0;       // end of the interval since the run started
  double rate_per_s = 0; // messages per second in the interval
  uint64_t failed = 0;
  Percentiles latency;   // producer: send latency; consumer: born-to-consume
  Percentiles latency2;  // consumer: store-to-consume
};

// "[   3.0s] send tps 123456 failed 0 | lat p50 .. us"
void PrintIntervalLine(const char* what, const IntervalRow& row, bool two_latencies);
// Whole-run percentile table on stdout.
void PrintSummaryTable(const char* name, const Histogram& histogram);
std::string IntervalsJson(const std::vector<IntervalRow>& rows, bool two_latencies);
std::string JsonEscape(const std::string& text);
// Writes `text` to `path` atomically enough for a report (temp file + rename). False on failure.
bool WriteTextFile(const std::string& path, const std::string& text);

}  // namespace mq::tools
