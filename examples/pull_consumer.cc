// Lite pull consumer: the application polls batches at its own pace. Either subscribe (the group
// shares the topic's queues, rebalanced as members come and go) or, with --assign, take every
// queue of the topic yourself. Auto-commit is turned off here to show CommitSync(): offsets are
// stored on the broker only for what the application has finished with.
#include <chrono>
#include <cstdio>
#include <vector>

#include "example_args.h"
#include "mq/consumer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExamplePullConsumerGroup", {"--assign", "--from-first"});

  mq::ConsumerOptions options;
  options.group = args.group;
  options.namesrv_addr = args.namesrv;
  if (args.Has("--from-first")) options.from_where = mq::ConsumeFromWhere::kFirstOffset;
  mq::PullConsumer consumer(options);
  consumer.SetAutoCommit(false);
  if (!args.Has("--assign")) {
    if (auto r = consumer.Subscribe(args.topic, "*"); !r.ok()) {
      std::fprintf(stderr, "subscribe failed: %s\n", r.ToString().c_str());
      return 1;
    }
  }
  if (auto r = consumer.Start(); !r.ok()) {
    std::fprintf(stderr, "start failed: %s\n", r.ToString().c_str());
    return 1;
  }
  if (args.Has("--assign")) {
    auto queues = consumer.FetchMessageQueues(args.topic);
    if (!queues.ok()) {
      std::fprintf(stderr, "no queues for %s: %s\n", args.topic.c_str(), queues.error().ToString().c_str());
      return 1;
    }
    if (auto r = consumer.Assign(queues.value()); !r.ok()) {
      std::fprintf(stderr, "assign failed: %s\n", r.ToString().c_str());
      return 1;
    }
  }

  int received = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.wait_s);
  while (received < args.count && std::chrono::steady_clock::now() < deadline) {
    const std::vector<mq::MessageExt> batch = consumer.Poll(1000);  // empty after 1 s without messages
    for (const auto& m : batch) {
      std::printf("received msgId=%s queue=%s offset=%lld body=%s\n", m.msg_id.c_str(), m.queue.ToString().c_str(),
                  static_cast<long long>(m.queue_offset), m.body.c_str());
      ++received;
    }
    if (batch.empty()) continue;
    if (auto r = consumer.CommitSync(); !r.ok()) std::fprintf(stderr, "commit failed: %s\n", r.ToString().c_str());
  }
  consumer.Shutdown();
  if (received < args.count) {
    std::fprintf(stderr, "timed out after %d s: received %d of %d\n", args.wait_s, received, args.count);
    return 1;
  }
  std::printf("received %d\n", received);
  return 0;
}
