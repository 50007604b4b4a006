#include "broker/processors/admin_stats_processor.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "model/message_record.h"
#include "mq/version.h"
#include "remoting/fastjson.h"
#include "store/disk_usage.h"

namespace mq::broker {
namespace {

constexpr uint32_t kSamplerShard = 0;
constexpr uint64_t kTickMs = 1000;

int LocalDay(int64_t now_ms) {
  const time_t secs = static_cast<time_t>(now_ms / 1000);
  tm local{};
  localtime_r(&secs, &local);
  return local.tm_year * 1000 + local.tm_yday;
}

}  // namespace

std::string JavaDoubleString(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "0.0";
  std::string s(buf, end);
  // Java's Double.toString always shows a fraction ("0.0", "4.0").
  if (s.find_first_of(".eE") == std::string::npos && s.find("inf") == std::string::npos) s += ".0";
  return s;
}

namespace {

std::string Num(double v) { return JavaDoubleString(v); }

std::string Tps(const double (&tps)[3]) { return Num(tps[0]) + " " + Num(tps[1]) + " " + Num(tps[2]); }

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", r < 0 ? 0.0 : r);
  return buf;
}

// "Total : 252.0 GiB, Free : 76.3 GiB." as the reference prints it; empty on error.
std::string Capacity(const std::string& dir) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) return "";
  const double gib = 1024.0 * 1024.0 * 1024.0;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "Total : %.1f GiB, Free : %.1f GiB.",
                static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize) / gib,
                static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / gib);
  return buf;
}

int64_t WallNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

BrokerStats::BrokerStats(uint32_t shard_count, int64_t boot_timestamp_ms)
    : slots_(new Slot[shard_count]), shard_count_(shard_count), boot_timestamp_ms_(boot_timestamp_ms) {}

BrokerStats::~BrokerStats() = default;

void BrokerStats::AddPut(uint64_t messages) {
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr && here->id() < shard_count_);
  slots_[here->id()].put.fetch_add(messages, std::memory_order_relaxed);
}

void BrokerStats::AddGot(uint64_t messages) {
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr && here->id() < shard_count_);
  slots_[here->id()].got.fetch_add(messages, std::memory_order_relaxed);
}

uint64_t BrokerStats::TotalPut() const {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < shard_count_; ++i) sum += slots_[i].put.load(std::memory_order_relaxed);
  return sum;
}

uint64_t BrokerStats::TotalGot() const {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < shard_count_; ++i) sum += slots_[i].got.load(std::memory_order_relaxed);
  return sum;
}

void BrokerStats::Start(runtime::ShardSet& shards) {
  shards.SubmitTo(kSamplerShard, [this] {
    day_ = LocalDay(WallNowMs());
    timer_ = runtime::CurrentShard()->RunEvery(kTickMs, [this] { Tick(); });
  });
}

void BrokerStats::Stop(runtime::ShardSet& shards) {
  shards.SubmitTo(kSamplerShard, [this] {
    if (timer_ != 0) runtime::CurrentShard()->Cancel(timer_);
    timer_ = 0;
  });
}

void BrokerStats::Tick() {
  const uint64_t put = TotalPut();
  const uint64_t got = TotalGot();
  ++ticks_;
  put_ring_[ticks_ % put_ring_.size()] = put;
  got_ring_[ticks_ % got_ring_.size()] = got;
  const int today = LocalDay(WallNowMs());
  if (today != day_) {
    day_ = today;
    morning_.put_yesterday_morning = morning_.put_today_morning;
    morning_.got_yesterday_morning = morning_.got_today_morning;
    morning_.put_today_morning = put;
    morning_.got_today_morning = got;
  }
}

BrokerStats::Snapshot BrokerStats::Sample() const {
  Snapshot s = morning_;
  const size_t windows[3] = {10, 60, kWindowSeconds};
  const uint64_t put_now = TotalPut();
  const uint64_t got_now = TotalGot();
  for (int i = 0; i < 3; ++i) {
    // Before a full window has passed, average over the time we have.
    const size_t span = std::min(windows[i], ticks_);
    if (span == 0) continue;
    const size_t then = (ticks_ - span) % put_ring_.size();
    const uint64_t put_then = put_ring_[then];  // slot 0 holds 0: the totals at boot
    const uint64_t got_then = got_ring_[then];
    s.put_tps[i] = static_cast<double>(put_now - std::min(put_now, put_then)) / static_cast<double>(span);
    s.got_tps[i] = static_cast<double>(got_now - std::min(got_now, got_then)) / static_cast<double>(span);
  }
  return s;
}

std::string FormatRuntime(int64_t elapsed_ms) {
  int64_t secs = std::max<int64_t>(elapsed_ms, 0) / 1000;
  const int64_t days = secs / 86400;
  secs %= 86400;
  const int64_t hours = secs / 3600;
  secs %= 3600;
  const int64_t minutes = secs / 60;
  secs %= 60;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "[ %lld days, %lld hours, %lld minutes, %lld seconds ]",
                static_cast<long long>(days), static_cast<long long>(hours), static_cast<long long>(minutes),
                static_cast<long long>(secs));
  return buf;
}

std::map<std::string, std::string> BuildRuntimeInfo(const BrokerConfig& config, store::MessageStore& store,
                                                    const BrokerStats& stats, const BrokerStats::Snapshot& sample,
                                                    int64_t now_ms) {
  std::map<std::string, std::string> t;
  store::CommitLog& log = store.commit_log();
  const uint64_t put = stats.TotalPut();
  const uint64_t got = stats.TotalGot();
  t["brokerVersionDesc"] = std::string("V") + kRocketmqCompatibleVersion;
  for (char& c : t["brokerVersionDesc"]) c = c == '.' ? '_' : c;
  t["brokerVersion"] = std::to_string(kRocketmqVersionOrdinal);
  t["bootTimestamp"] = std::to_string(stats.boot_timestamp_ms());
  t["runtime"] = FormatRuntime(now_ms - stats.boot_timestamp_ms());
  t["msgPutTotalTodayNow"] = std::to_string(put);
  t["msgGetTotalTodayNow"] = std::to_string(got);
  t["msgPutTotalTodayMorning"] = std::to_string(sample.put_today_morning);
  t["msgGetTotalTodayMorning"] = std::to_string(sample.got_today_morning);
  t["msgPutTotalYesterdayMorning"] = std::to_string(sample.put_yesterday_morning);
  t["msgGetTotalYesterdayMorning"] = std::to_string(sample.got_yesterday_morning);
  t["putMessageTimesTotal"] = std::to_string(put);
  t["putMessageFailedTimes"] = "0";
  t["putTps"] = Tps(sample.put_tps);
  t["getTransferedTps"] = Tps(sample.got_tps);  // sic: the reference's spelling
  t["getTotalTps"] = Tps(sample.got_tps);
  t["getFoundTps"] = Tps(sample.got_tps);
  t["getMissTps"] = "0.0 0.0 0.0";
  t["commitLogMinOffset"] = std::to_string(log.min_offset());
  t["commitLogMaxOffset"] = std::to_string(log.max_offset());
  const int64_t unflushed = log.committed_offset() - log.flushed_offset();
  t["remainHowManyDataToFlush"] = std::to_string(std::max<int64_t>(unflushed, 0)) + " B";
  t["dispatchBehindBytes"] = std::to_string(std::max<int64_t>(log.committed_offset() - store.dispatched_offset(), 0));
  t["dispatchMaxBuffer"] = "0";
  int64_t earliest = 0;
  if (log.max_offset() > log.min_offset()) {
    if (auto rec = store.ReadRecordAt(log.min_offset()); rec.ok()) {
      if (auto view = model::RecordView::Parse(rec->data, rec->size_bytes, false); view.ok()) {
        earliest = view->store_timestamp_ms();
      }
    }
  }
  t["earliestMessageTimeStamp"] = std::to_string(earliest);
  auto ratio = store::DiskUsedRatio(log.dir());
  const double used = ratio.ok() ? *ratio : -1;
  t["commitLogDiskRatio"] = Ratio(used);
  t["commitLogDiskRatio_" + log.dir()] = Ratio(used);
  auto cq_ratio = store::DiskUsedRatio(config.store_path_root_dir);
  t["consumeQueueDiskRatio"] = Ratio(cq_ratio.ok() ? *cq_ratio : -1);
  if (std::string cap = Capacity(log.dir()); !cap.empty()) t["commitLogDirCapacity"] = cap;
  t["pageCacheLockTimeMills"] = "0";
  t["startAcceptSendRequestTimeStamp"] = std::to_string(config.start_accept_send_request_timestamp_ms);
  // mq has no thread pools: requests wait in no queue, so sizes and head waits are 0.
  for (const char* pool : {"send", "pull", "query"}) {
    t[std::string(pool) + "ThreadPoolQueueSize"] = "0";
    t[std::string(pool) + "ThreadPoolQueueHeadWaitTimeMills"] = "0";
  }
  t["sendThreadPoolQueueCapacity"] = "10000";
  t["pullThreadPoolQueueCapacity"] = "100000";
  t["queryThreadPoolQueueCapacity"] = "20000";
  t["EndTransactionQueueSize"] = "0";
  t["EndTransactionThreadPoolQueueCapacity"] = "100000";
  t["remainTransientStoreBufferNumbs"] = "2147483647";
  t["putMessageDistributeTime"] = "null";
  return t;
}

std::string EncodeKvTable(const std::map<std::string, std::string>& table) {
  std::string out = "{\"table\":{";
  bool first = true;
  for (const auto& [k, v] : table) {
    if (!first) out += ',';
    first = false;
    remoting::AppendJsonString(out, k);
    out += ':';
    remoting::AppendJsonString(out, v);
  }
  out += "}}";
  return out;
}

}  // namespace mq::broker
