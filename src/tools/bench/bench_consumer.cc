#include "tools/bench/bench_consumer.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <thread>
#include <vector>

#include "mq/consumer.h"
#include "tools/bench/bench_common.h"

namespace mq::tools {

namespace {

struct ConsumerRun {
  Recorder born_to_consume;
  Recorder store_to_consume;
  StripedCounter consumed;
  std::atomic<int64_t> first_mono_us{0};
  std::atomic<int64_t> last_mono_us{0};

  explicit ConsumerRun(uint32_t threads) : born_to_consume(threads), store_to_consume(threads) {}
};

int64_t SendTimeUs(const MessageExt& msg) {
  auto it = msg.properties.find(kSendTimeProperty);
  const std::string* text = nullptr;
  if (it != msg.properties.end()) {
    text = &it->second;
  } else {
    auto all = msg.all_properties.find(kSendTimeProperty);
    if (all != msg.all_properties.end()) text = &all->second;
  }
  int64_t value = 0;
  if (text != nullptr && std::from_chars(text->data(), text->data() + text->size(), value).ec == std::errc()) {
    return value;
  }
  return msg.born_timestamp_ms * 1000;
}

ConsumeResult OnMessages(ConsumerRun& run, const std::vector<MessageExt>& msgs) {
  const int64_t wall_us = WallNowUs();
  for (const auto& msg : msgs) {
    run.born_to_consume.Record(static_cast<uint64_t>(std::max<int64_t>(wall_us - SendTimeUs(msg), 0)));
    run.store_to_consume.Record(
        static_cast<uint64_t>(std::max<int64_t>(wall_us - msg.store_timestamp_ms * 1000, 0)));
  }
  const int64_t mono_us = MonoNowUs();
  int64_t expected = 0;
  run.first_mono_us.compare_exchange_strong(expected, mono_us);
  run.last_mono_us.store(mono_us, std::memory_order_relaxed);
  run.consumed.Add(msgs.size());
  return ConsumeResult::kSuccess;
}

}  // namespace

int RunConsumerBench(const ConsumerBenchOptions& o) {
  if (o.threads == 0 || o.threads > 1024 || o.report_interval_s == 0) {
    std::fprintf(stderr, "bench consumer: -w must be 1..1024 and --report-interval-s above 0\n");
    return 2;
  }
  ConsumerOptions consumer_options;
  consumer_options.group = o.group;
  consumer_options.namesrv_addr = o.namesrv_addr;
  consumer_options.consume_threads = o.threads;
  consumer_options.pull_batch_size = std::clamp<uint32_t>(o.pull_batch_size, 1, 1024);
  consumer_options.from_where = o.from_first ? ConsumeFromWhere::kFirstOffset : ConsumeFromWhere::kLastOffset;
  // A bench consumer is alone in its group: rebalance soon after start rather than every 20 s.
  consumer_options.rebalance_interval_ms = 1000;
  auto run = std::make_shared<ConsumerRun>(o.threads);
  PushConsumer consumer(consumer_options);
  Outcome subscribed = consumer.Subscribe(o.topic, o.tag_expression);
  if (!subscribed.ok()) {
    std::fprintf(stderr, "bench consumer: subscribe failed: %s\n", subscribed.ToString().c_str());
    return 1;
  }
  consumer.RegisterListener(ConcurrentListener(
      [run](const std::vector<MessageExt>& msgs) { return OnMessages(*run, msgs); }));
  StopSignals stop_signals;
  const int64_t start_mono_us = MonoNowUs();
  const Outcome started = consumer.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "bench consumer: start failed: %s\n", started.ToString().c_str());
    return 1;
  }
  std::printf("bench consumer: topic %s, group %s, %u threads, from %s offset, namesrv %s\n", o.topic.c_str(),
              o.group.c_str(), o.threads, o.from_first ? "first" : "last", o.namesrv_addr.c_str());

  Histogram born_prev, born_now, born_interval, store_prev, store_now, store_interval;
  std::vector<IntervalRow> rows;
  uint64_t previous_count = 0;
  int64_t last_report_us = start_mono_us;
  const int64_t interval_us = static_cast<int64_t>(o.report_interval_s) * 1'000'000;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t t = MonoNowUs();
    const uint64_t count = run->consumed.Sum();
    bool last = StopSignals::Requested();
    if (o.duration_s != 0 && t - start_mono_us >= static_cast<int64_t>(o.duration_s) * 1'000'000) last = true;
    if (o.total_messages != 0 && count >= o.total_messages) last = true;
    const int64_t last_msg_us = run->last_mono_us.load(std::memory_order_relaxed);
    if (o.idle_exit_s != 0 && last_msg_us != 0 && t - last_msg_us >= static_cast<int64_t>(o.idle_exit_s) * 1'000'000) {
      last = true;
    }
    if (t - last_report_us < interval_us && !last) continue;
    run->born_to_consume.SnapshotInto(born_now);
    run->store_to_consume.SnapshotInto(store_now);
    born_interval.Reset();
    born_interval.Merge(born_now);
    born_interval.SubtractSnapshot(born_prev);
    store_interval.Reset();
    store_interval.Merge(store_now);
    store_interval.SubtractSnapshot(store_prev);
    born_prev.Reset();
    born_prev.Merge(born_now);
    store_prev.Reset();
    store_prev.Merge(store_now);
    IntervalRow row;
    row.at_s = static_cast<double>(t - start_mono_us) / 1e6;
    row.rate_per_s =
        static_cast<double>(count - previous_count) * 1e6 / static_cast<double>(std::max<int64_t>(t - last_report_us, 1));
    row.latency = born_interval.Summary();
    row.latency2 = store_interval.Summary();
    if (t - last_report_us >= interval_us / 4 || rows.empty()) {
      PrintIntervalLine("consume", row, true);
      if (rows.size() < kMaxIntervals) rows.push_back(row);
    }
    previous_count = count;
    last_report_us = t;
    if (last) break;
  }
  consumer.Shutdown();
  run->born_to_consume.SnapshotInto(born_now);
  run->store_to_consume.SnapshotInto(store_now);
  const uint64_t count = run->consumed.Sum();
  const int64_t first_us = run->first_mono_us.load();
  const int64_t last_us = run->last_mono_us.load();
  // Rate over the span messages actually flowed: start-up, rebalance and the idle tail excluded.
  const double active_s = first_us != 0 && last_us > first_us ? static_cast<double>(last_us - first_us) / 1e6 : 0;
  const double tps = active_s > 0 ? static_cast<double>(count) / active_s : 0;
  std::printf("bench consumer done: %" PRIu64 " consumed, %.2f s from first to last message: %.0f msgs/s\n", count,
              active_s, tps);
  PrintSummaryTable("born-to-consume", born_now);
  PrintSummaryTable("store-to-consume (1 ms store clock)", store_now);
  if (!o.json_path.empty()) {
    char head[256];
    std::snprintf(head, sizeof(head),
                  "{\"tool\":\"consumer\",\"consumed\":%" PRIu64 ",\"active_s\":%.3f,\"tps\":%.1f,"
                  "\"threads\":%u,\"from_first\":%s,",
                  count, active_s, tps, o.threads, o.from_first ? "true" : "false");
    const std::string json = std::string(head) + "\"topic\":\"" + JsonEscape(o.topic) + "\",\"group\":\"" +
                             JsonEscape(o.group) + "\",\"born_to_consume_us\":" + born_now.ToJson() +
                             ",\"store_to_consume_us\":" + store_now.ToJson() +
                             ",\"intervals\":" + IntervalsJson(rows, true) + "}\n";
    if (!WriteTextFile(o.json_path, json)) {
      std::fprintf(stderr, "bench consumer: cannot write %s\n", o.json_path.c_str());
      return 1;
    }
  }
  return 0;
}

void AddConsumerBenchCommand(CLI::App& bench) {
  auto options = std::make_shared<ConsumerBenchOptions>();
  auto* cmd = bench.add_subcommand("consumer", "consume and report TPS, born- and store-to-consume latency");
  cmd->add_option("-n,--namesrv", options->namesrv_addr, "name servers, host:port;host:port");
  cmd->add_option("-t,--topic", options->topic, "topic");
  cmd->add_option("-g,--group", options->group, "consumer group");
  cmd->add_option("-w,--threads", options->threads, "consume threads")->check(CLI::Range(1, 1024));
  cmd->add_option("-e,--expression", options->tag_expression, "tag expression (\"*\", \"TagA || TagB\")");
  cmd->add_option("-q,--total", options->total_messages, "stop after this many messages (0 = no limit)");
  cmd->add_option("-d,--duration-s", options->duration_s, "stop after this many seconds (0 = no limit)");
  cmd->add_option("--idle-exit-s", options->idle_exit_s, "stop when nothing arrived for this long");
  cmd->add_flag("--from-first", options->from_first, "a new group starts at the first offset");
  cmd->add_option("--pull-batch-size", options->pull_batch_size, "messages per pull")->check(CLI::Range(1, 1024));
  cmd->add_option("--report-interval-s", options->report_interval_s, "seconds between lines")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--json", options->json_path, "write totals, whole-run histograms and intervals here");
  cmd->callback([options] {
    const int rc = RunConsumerBench(*options);
    throw CLI::RuntimeError(rc);  // CLI11_PARSE in main returns this code
  });
}

}  // namespace mq::tools
