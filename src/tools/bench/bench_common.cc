#include "tools/bench/bench_common.h"

#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <thread>

namespace mq::tools {

namespace {
volatile std::sig_atomic_t g_stop = 0;
struct sigaction g_old_int;
struct sigaction g_old_term;

void OnStopSignal(int) { g_stop = 1; }
}  // namespace

int64_t MonoNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SleepUntilMonoUs(int64_t deadline_us) {
  const int64_t now = MonoNowUs();
  if (deadline_us <= now) return;
  std::this_thread::sleep_for(std::chrono::microseconds(deadline_us - now));
}

StopSignals::StopSignals() {
  g_stop = 0;
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool StopSignals::Requested() { return g_stop != 0; }
void StopSignals::Request() { g_stop = 1; }

void ErrorSamples::Add(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (texts_.size() >= 5) return;
  for (const auto& seen : texts_) {
    if (seen == text) return;
  }
  texts_.push_back(text.substr(0, 300));
}

std::vector<std::string> ErrorSamples::Take() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return texts_;
}

void PrintIntervalLine(const char* what, const IntervalRow& row, bool two_latencies) {
  if (two_latencies) {
    std::printf("[%7.1fs] %s tps %9.0f failed %" PRIu64 " | born-to-consume %s | store-to-consume %s\n", row.at_s,
                what, row.rate_per_s, row.failed, FormatPercentiles(row.latency).c_str(),
                FormatPercentiles(row.latency2).c_str());
  } else {
    std::printf("[%7.1fs] %s tps %9.0f failed %" PRIu64 " | latency %s\n", row.at_s, what, row.rate_per_s,
                row.failed, FormatPercentiles(row.latency).c_str());
  }
  std::fflush(stdout);
}

void PrintSummaryTable(const char* name, const Histogram& histogram) {
  const Percentiles p = histogram.Summary();
  std::printf("%s latency (us, whole run, %" PRIu64 " samples):\n", name, p.count);
  std::printf("  min %" PRIu64 "  mean %.1f  p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64 "  p99.9 %" PRIu64
              "  p99.99 %" PRIu64 "  max %" PRIu64 "\n",
              p.min_us, p.mean_us, p.p50_us, p.p90_us, p.p99_us, p.p999_us, p.p9999_us, p.max_us);
}

namespace {
std::string PercentilesJson(const Percentiles& p) {
  char text[320];
  std::snprintf(text, sizeof(text),
                "{\"count\":%" PRIu64 ",\"p50_us\":%" PRIu64 ",\"p90_us\":%" PRIu64 ",\"p99_us\":%" PRIu64
                ",\"p99_9_us\":%" PRIu64 ",\"p99_99_us\":%" PRIu64 ",\"max_us\":%" PRIu64 "}",
                p.count, p.p50_us, p.p90_us, p.p99_us, p.p999_us, p.p9999_us, p.max_us);
  return text;
}
}  // namespace

std::string IntervalsJson(const std::vector<IntervalRow>& rows, bool two_latencies) {
  std::string out = "[";
  char head[128];
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::snprintf(head, sizeof(head), "%s{\"at_s\":%.3f,\"tps\":%.1f,\"failed\":%" PRIu64 ",", i ? "," : "",
                  row.at_s, row.rate_per_s, row.failed);
    out += head;
    out += two_latencies ? "\"born_to_consume\":" : "\"latency\":";
    out += PercentilesJson(row.latency);
    if (two_latencies) out += ",\"store_to_consume\":" + PercentilesJson(row.latency2);
    out += "}";
  }
  out += "]";
  return out;
}

std::string JsonEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out;
}

bool WriteTextFile(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  std::FILE* file = std::fopen(temp.c_str(), "w");
  if (file == nullptr) return false;
  const bool wrote = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool closed = std::fclose(file) == 0;
  if (!wrote || !closed) return false;
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

}  // namespace mq::tools
