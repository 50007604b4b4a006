// `mq consume`: a push consumer that prints what it receives until -c messages or --timeout-s.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mq/consumer.h"
#include "tools/cli/commands.h"

namespace mq::tools::cli {

namespace {

struct ConsumeOptions {
  std::string namesrv = DefaultNamesrv();
  std::string topic;
  std::string group;
  std::string tags = "*";
  bool broadcast = false;
  bool from_first = false;
  bool json = false;
  uint64_t count = 0;
  uint32_t timeout_s = 0;
  std::string offset_dir;
};

volatile std::sig_atomic_t g_interrupted = 0;
void OnSignal(int) { g_interrupted = 1; }

std::string ErrorText(const Outcome& o) { return o.code() == 1 ? o.remark() : o.ToString(); }

int RunConsume(const ConsumeOptions& o) {
  InitToolLogging();
  ConsumerOptions co;
  co.group = o.group;
  co.namesrv_addr = o.namesrv;
  co.model = o.broadcast ? MessageModel::kBroadcasting : MessageModel::kClustering;
  co.from_where = o.from_first ? ConsumeFromWhere::kFirstOffset : ConsumeFromWhere::kLastOffset;
  co.consume_threads = 1;  // lines come out in queue order
  co.offset_store_dir = o.offset_dir;
  PushConsumer consumer(co);
  if (auto r = consumer.Subscribe(o.topic, o.tags); !r.ok()) {
    std::fprintf(stderr, "error: %s\n", ErrorText(r).c_str());
    return 1;
  }
  std::mutex mu;
  std::atomic<uint64_t> printed{0};
  consumer.RegisterListener(ConcurrentListener([&](const std::vector<MessageExt>& msgs) {
    std::lock_guard<std::mutex> l(mu);
    for (const auto& m : msgs) {
      if (o.count != 0 && printed >= o.count) break;
      if (o.json) {
        std::printf("%s\n", MessageJson(m).c_str());
      } else {
        std::printf("topic=%s queue=%s#%d offset=%lld tags=%s keys=%s msgId=%s body=%s\n", m.topic.c_str(),
                    m.queue.broker_name.c_str(), m.queue.queue_id, static_cast<long long>(m.queue_offset),
                    m.tags.c_str(), m.keys.c_str(), m.msg_id.c_str(), m.body.c_str());
      }
      ++printed;
    }
    std::fflush(stdout);
    return ConsumeResult::kSuccess;
  }));
  if (auto r = consumer.Start(); !r.ok()) {
    std::fprintf(stderr, "error: cannot start the consumer: %s\n", ErrorText(r).c_str());
    return 1;
  }
  auto old_int = std::signal(SIGINT, OnSignal);
  auto old_term = std::signal(SIGTERM, OnSignal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  while (g_interrupted == 0 && (o.count == 0 || printed < o.count) &&
         (o.timeout_s == 0 || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  consumer.Shutdown();  // commits the offsets of what was consumed
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::fprintf(stderr, "received %llu messages\n", static_cast<unsigned long long>(printed.load()));
  if (o.count != 0 && printed < o.count) {
    std::fprintf(stderr, "error: only %llu of %llu messages before the %s\n",
                 static_cast<unsigned long long>(printed.load()), static_cast<unsigned long long>(o.count),
                 g_interrupted != 0 ? "interrupt" : "timeout");
    return 1;
  }
  return 0;
}

}  // namespace

void AddConsumeCommand(CLI::App& app) {
  auto options = std::make_shared<ConsumeOptions>();
  auto* cmd = app.add_subcommand("consume", "print the messages of a topic received by a consumer group");
  cmd->add_option("-n,--namesrv", options->namesrv, "name servers, host:port;host:port (default NAMESRV_ADDR or 127.0.0.1:9876)");
  cmd->add_option("-t,--topic", options->topic, "topic")->required();
  cmd->add_option("-g,--group", options->group, "consumer group")->required();
  cmd->add_option("--tags", options->tags, "tag expression: '*', 'TagA' or 'TagA || TagB'");
  cmd->add_flag("--broadcast", options->broadcast, "broadcasting (every consumer gets everything) instead of clustering");
  cmd->add_flag("--from-first", options->from_first, "a new group starts at the first message, not the last");
  cmd->add_option("-c,--count", options->count, "stop after this many messages (0 = no limit)");
  cmd->add_option("--timeout-s", options->timeout_s, "stop after this many seconds (0 = no limit; Ctrl-C stops)");
  cmd->add_flag("--json", options->json, "one JSON object per message");
  cmd->add_option("--offset-dir", options->offset_dir, "broadcasting: local offset store (default ~/.rocketmq_offsets)");
  cmd->callback([options] { Exit(RunConsume(*options)); });
}

}  // namespace mq::tools::cli
