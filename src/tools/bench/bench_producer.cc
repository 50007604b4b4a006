#include "tools/bench/bench_producer.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <thread>
#include <vector>

#include "mq/producer.h"
#include "tools/bench/bench_common.h"

namespace mq::tools {

namespace {

// Shared by the sender threads, the async callbacks and the reporter.
struct ProducerRun {
  const ProducerBenchOptions& options;
  Producer& producer;
  Recorder latency;
  StripedCounter ok_messages;
  StripedCounter failed_messages;
  std::atomic<uint64_t> claimed{0};  // messages handed out against -q
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint32_t> senders_left{0};
  ErrorSamples errors;
  int64_t start_mono_us = 0;
  int64_t start_wall_us = 0;

  ProducerRun(const ProducerBenchOptions& opts, Producer& p)
      : options(opts), producer(p), latency(std::max<uint32_t>(opts.threads, 1)) {}
};

std::string MakeBody(uint32_t size_bytes) {
  std::string body(size_bytes, 'x');
  for (uint32_t i = 0; i < size_bytes; ++i) body[i] = static_cast<char>('a' + i % 26);
  return body;
}

// How many messages this send may carry under -q (0 = the budget is spent).
uint64_t Claim(ProducerRun& run, uint64_t wanted) {
  if (run.options.total_messages == 0) return wanted;
  const uint64_t before = run.claimed.fetch_add(wanted, std::memory_order_relaxed);
  if (before >= run.options.total_messages) return 0;
  return std::min(wanted, run.options.total_messages - before);
}

void Finish(ProducerRun& run, bool ok, uint64_t messages, int64_t started_mono_us, const Outcome* error) {
  if (ok) {
    run.ok_messages.Add(messages);
    run.latency.Record(static_cast<uint64_t>(std::max<int64_t>(MonoNowUs() - started_mono_us, 0)));
  } else {
    run.failed_messages.Add(messages);
    if (error != nullptr) run.errors.Add(error->ToString());
  }
}

void SenderLoop(ProducerRun& run, uint32_t thread_index) {
  const auto& o = run.options;
  const uint32_t batch = std::max<uint32_t>(o.batch_size, 1);
  std::vector<Message> msgs(batch);
  for (auto& msg : msgs) {
    msg.topic = o.topic;
    msg.body = MakeBody(o.message_size_bytes);
  }
  // Open loop: this thread's share of the rate, its schedule offset so threads interleave.
  int64_t period_us = 0;
  int64_t intended_us = run.start_mono_us;
  if (o.rate_msgs_per_s > 0) {
    period_us = static_cast<int64_t>(1e6 * o.threads * batch / static_cast<double>(o.rate_msgs_per_s));
    period_us = std::max<int64_t>(period_us, 1);
    intended_us += period_us * thread_index / std::max<uint32_t>(o.threads, 1);
  }
  uint64_t seq = 0;
  while (!StopSignals::Requested()) {
    const uint64_t n = Claim(run, batch);
    if (n == 0) break;
    int64_t started_us = 0;
    if (period_us > 0) {
      SleepUntilMonoUs(intended_us);
      started_us = intended_us;  // latency counts from when the send should have happened
      intended_us += period_us;
    } else {
      started_us = MonoNowUs();
    }
    const std::string send_time = std::to_string(run.start_wall_us + (started_us - run.start_mono_us));
    for (uint64_t i = 0; i < n; ++i, ++seq) {
      Message& msg = msgs[i];
      if (o.keys) msg.keys = std::to_string(thread_index) + "-" + std::to_string(seq);
      if (o.tag_count > 0) msg.tags = "Tag" + std::to_string(seq % o.tag_count);
      msg.properties[kSendTimeProperty] = send_time;
    }
    if (o.oneway) {
      const Outcome sent = run.producer.SendOneway(msgs[0]);
      Finish(run, sent.ok(), 1, started_us, &sent);
    } else if (batch > 1) {
      if (n < batch) msgs.resize(n);
      const auto sent = run.producer.SendBatch(msgs);
      Finish(run, sent.ok(), n, started_us, &sent.error());
    } else if (o.async) {
      // Bounded in flight: wait (briefly, re-checking the stop flag) for answers to come back.
      while (run.in_flight.load(std::memory_order_relaxed) >= static_cast<int64_t>(o.max_in_flight) &&
             !StopSignals::Requested()) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      run.in_flight.fetch_add(1, std::memory_order_relaxed);
      ProducerRun* shared = &run;
      run.producer.SendAsync(msgs[0], [shared, started_us](Expected<SendResult> result) {
        Finish(*shared, result.ok(), 1, started_us, &result.error());
        shared->in_flight.fetch_sub(1, std::memory_order_relaxed);
      });
    } else {
      const auto sent = run.producer.Send(msgs[0]);
      Finish(run, sent.ok(), 1, started_us, &sent.error());
    }
  }
  run.senders_left.fetch_sub(1, std::memory_order_relaxed);
}

std::string OptionsJson(const ProducerBenchOptions& o) {
  char text[512];
  std::snprintf(text, sizeof(text),
                "{\"threads\":%u,\"message_size_bytes\":%u,\"keys\":%s,\"tag_count\":%u,\"async\":%s,"
                "\"batch_size\":%u,\"total_messages\":%" PRIu64 ",\"duration_s\":%" PRIu64
                ",\"rate_msgs_per_s\":%" PRIu64 ",\"oneway\":%s,\"report_interval_s\":%u}",
                o.threads, o.message_size_bytes, o.keys ? "true" : "false", o.tag_count, o.async ? "true" : "false",
                o.batch_size, o.total_messages, o.duration_s, o.rate_msgs_per_s, o.oneway ? "true" : "false",
                o.report_interval_s);
  return "{\"namesrv\":\"" + JsonEscape(o.namesrv_addr) + "\",\"topic\":\"" + JsonEscape(o.topic) +
         "\",\"group\":\"" + JsonEscape(o.group) + "\"," + std::string(text + 1);
}

const char* ModeName(const ProducerBenchOptions& o) {
  if (o.oneway) return "oneway";
  if (o.batch_size > 1) return "batch";
  return o.async ? "async" : "sync";
}

}  // namespace

int RunProducerBench(const ProducerBenchOptions& o) {
  if (o.threads == 0 || o.threads > 4096 || o.message_size_bytes == 0 || o.report_interval_s == 0) {
    std::fprintf(stderr, "bench producer: -w must be 1..4096, -s and --report-interval-s above 0\n");
    return 2;
  }
  if (o.batch_size > 1 && (o.async || o.oneway)) {
    std::fprintf(stderr, "bench producer: batch sends (-b) are synchronous; drop -y / --oneway\n");
    return 2;
  }
  if (static_cast<uint64_t>(o.batch_size) * o.message_size_bytes > 4ull * 1024 * 1024) {
    std::fprintf(stderr, "bench producer: a batch must stay within 4 MiB (-b x -s)\n");
    return 2;
  }
  ProducerOptions producer_options;
  producer_options.group = o.group;
  producer_options.namesrv_addr = o.namesrv_addr;
  producer_options.send_timeout_ms = o.send_timeout_ms;
  producer_options.max_async_in_flight = std::max<uint32_t>(o.max_in_flight, 1);
  Producer producer(producer_options);
  const Outcome started = producer.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "bench producer: start failed: %s\n", started.ToString().c_str());
    return 1;
  }
  StopSignals stop_signals;
  ProducerRun run(o, producer);
  std::printf("bench producer: %s send, topic %s, %u threads, %u B, batch %u, %s, namesrv %s\n", ModeName(o),
              o.topic.c_str(), o.threads, o.message_size_bytes, std::max<uint32_t>(o.batch_size, 1),
              o.rate_msgs_per_s ? ("open loop at " + std::to_string(o.rate_msgs_per_s) + " msgs/s").c_str()
                                : "closed loop",
              o.namesrv_addr.c_str());
  run.start_mono_us = MonoNowUs();
  run.start_wall_us = WallNowUs();
  run.senders_left.store(o.threads);
  std::vector<std::thread> senders;
  senders.reserve(o.threads);
  for (uint32_t i = 0; i < o.threads; ++i) senders.emplace_back(SenderLoop, std::ref(run), i);

  Histogram previous;
  Histogram now;
  Histogram interval;
  std::vector<IntervalRow> rows;
  uint64_t previous_ok = 0;
  uint64_t previous_failed = 0;
  int64_t last_report_us = run.start_mono_us;
  const int64_t interval_us = static_cast<int64_t>(o.report_interval_s) * 1'000'000;
  const int64_t end_us = o.duration_s ? run.start_mono_us + static_cast<int64_t>(o.duration_s) * 1'000'000 : 0;
  int64_t finished_us = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int64_t t = MonoNowUs();
    const bool done = run.senders_left.load() == 0 && run.in_flight.load() == 0;
    if (end_us != 0 && t >= end_us) StopSignals::Request();
    const bool last = done || (StopSignals::Requested() && run.senders_left.load() == 0);
    if (t - last_report_us < interval_us && !last) continue;
    run.latency.SnapshotInto(now);
    interval.Reset();
    interval.Merge(now);
    interval.SubtractSnapshot(previous);
    previous.Reset();
    previous.Merge(now);
    const uint64_t ok = run.ok_messages.Sum();
    const uint64_t failed = run.failed_messages.Sum();
    IntervalRow row;
    row.at_s = static_cast<double>(t - run.start_mono_us) / 1e6;
    row.rate_per_s = static_cast<double>(ok - previous_ok) * 1e6 / static_cast<double>(std::max<int64_t>(t - last_report_us, 1));
    row.failed = failed - previous_failed;
    row.latency = interval.Summary();
    if (t - last_report_us >= interval_us / 4 || rows.empty()) {
      PrintIntervalLine("send", row, false);
      if (rows.size() < kMaxIntervals) rows.push_back(row);
    }
    previous_ok = ok;
    previous_failed = failed;
    last_report_us = t;
    if (last) {
      finished_us = t;
      break;
    }
  }
  for (auto& sender : senders) sender.join();
  // Async answers still owed after a stop: wait a bounded time so the totals include them.
  const int64_t drain_deadline_us = MonoNowUs() + static_cast<int64_t>(o.send_timeout_ms + 1000) * 1000;
  while (run.in_flight.load() > 0 && MonoNowUs() < drain_deadline_us) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  producer.Shutdown();
  run.latency.SnapshotInto(now);
  const uint64_t ok = run.ok_messages.Sum();
  const uint64_t failed = run.failed_messages.Sum();
  const double elapsed_s = static_cast<double>(finished_us - run.start_mono_us) / 1e6;
  const double tps = elapsed_s > 0 ? static_cast<double>(ok) / elapsed_s : 0;
  const double mib_per_s = tps * o.message_size_bytes / (1024.0 * 1024.0);
  std::printf("bench producer done: %" PRIu64 " sent, %" PRIu64 " failed in %.2f s: %.0f msgs/s, %.1f MiB/s\n",
              ok, failed, elapsed_s, tps, mib_per_s);
  PrintSummaryTable(o.batch_size > 1 ? "send (per batch request)" : "send", now);
  for (const auto& text : run.errors.Take()) std::printf("  failure: %s\n", text.c_str());
  if (!o.json_path.empty()) {
    char head[256];
    std::snprintf(head, sizeof(head),
                  "{\"tool\":\"producer\",\"mode\":\"%s\",\"elapsed_s\":%.3f,\"sent\":%" PRIu64
                  ",\"failed\":%" PRIu64 ",\"tps\":%.1f,\"mib_per_s\":%.2f,",
                  ModeName(o), elapsed_s, ok, failed, tps, mib_per_s);
    const std::string json = std::string(head) + "\"options\":" + OptionsJson(o) + ",\"latency_us\":" +
                             now.ToJson() + ",\"intervals\":" + IntervalsJson(rows, false) + "}\n";
    if (!WriteTextFile(o.json_path, json)) {
      std::fprintf(stderr, "bench producer: cannot write %s\n", o.json_path.c_str());
      return 1;
    }
  }
  return ok == 0 && failed > 0 ? 3 : 0;
}

void AddProducerBenchCommand(CLI::App& bench) {
  auto options = std::make_shared<ProducerBenchOptions>();
  auto* cmd = bench.add_subcommand("producer", "send load and report TPS and latency percentiles");
  cmd->add_option("-n,--namesrv", options->namesrv_addr, "name servers, host:port;host:port");
  cmd->add_option("-t,--topic", options->topic, "topic");
  cmd->add_option("-w,--threads", options->threads, "sender threads")->check(CLI::Range(1, 4096));
  cmd->add_option("-s,--size", options->message_size_bytes, "message body bytes")->check(CLI::Range(1, 4 << 20));
  cmd->add_flag("-k,--keys", options->keys, "set a unique key on every message (index load)");
  cmd->add_option("-l,--tag-count", options->tag_count, "tags Tag0..Tag<l-1> round robin; 0 = no tag");
  cmd->add_flag("-y,--async", options->async, "asynchronous sends");
  cmd->add_option("-b,--batch-size", options->batch_size, "messages per SEND_BATCH_MESSAGE (1 = single)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("-q,--total", options->total_messages, "stop after this many messages (0 = no limit)");
  cmd->add_option("-g,--group", options->group, "producer group");
  cmd->add_option("-d,--duration-s", options->duration_s, "stop after this many seconds (0 = no limit)");
  cmd->add_option("-r,--rate", options->rate_msgs_per_s, "open loop at this many msgs/s (0 = closed loop)");
  cmd->add_flag("--oneway", options->oneway, "oneway sends (no answer; latency = local send call)");
  cmd->add_option("--report-interval-s", options->report_interval_s, "seconds between lines")
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--json", options->json_path, "write totals, whole-run histogram and intervals here");
  cmd->add_option("--max-in-flight", options->max_in_flight, "async: answers awaited at once")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--send-timeout-ms", options->send_timeout_ms, "per send, retries included");
  // CLI11 reports a callback's exit code through its RuntimeError; CLI11_PARSE returns it from main.
  cmd->callback([options] {
    const int rc = RunProducerBench(*options);
    throw CLI::RuntimeError(rc);
  });
}

}  // namespace mq::tools
