// Push consumer, concurrently: the library balances the topic's queues among the group's members,
// long-polls the brokers and calls the listener on its consume threads, several messages at once.
// Returning kReconsumeLater redelivers a message later (via the group's retry topic).
//
// Where a new group starts: its committed offset if it has one; otherwise the broker answers 0
// while the queue still holds its first message in memory (a young topic: what was produced
// before is consumed), else the end of the queue. --from-first always starts at the first offset.
#include <cstdio>

#include "example_args.h"
#include "mq/consumer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExamplePushConsumerGroup", {"--from-first"});

  mq::ConsumerOptions options;
  options.group = args.group;
  options.namesrv_addr = args.namesrv;
  if (args.Has("--from-first")) options.from_where = mq::ConsumeFromWhere::kFirstOffset;
  mq::PushConsumer consumer(options);
  if (auto r = consumer.Subscribe(args.topic, "*"); !r.ok()) {
    std::fprintf(stderr, "subscribe failed: %s\n", r.ToString().c_str());
    return 1;
  }

  Received received;
  consumer.RegisterListener([&](const std::vector<mq::MessageExt>& msgs) {
    received.Add(msgs);
    return mq::ConsumeResult::kSuccess;
  });
  if (auto r = consumer.Start(); !r.ok()) {
    std::fprintf(stderr, "start failed: %s\n", r.ToString().c_str());
    return 1;
  }

  received.Wait(args);
  consumer.Shutdown();  // commits the consumed offsets
  return received.Report(args);
}
