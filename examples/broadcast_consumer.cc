// Broadcasting push consumer: every member of the group receives every message (instead of sharing
// the queues). Offsets are kept by each client in a local file (~/.rocketmq_offsets), not on the
// broker, so a member seen for the first time starts at the end of each queue and only gets
// messages sent after it started, as in RocketMQ; --from-first starts it at the first offset.
#include <cstdio>

#include "example_args.h"
#include "mq/consumer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExampleBroadcastConsumerGroup", {"--from-first"});

  mq::ConsumerOptions options;
  options.group = args.group;
  options.namesrv_addr = args.namesrv;
  options.model = mq::MessageModel::kBroadcasting;
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
  consumer.Shutdown();  // writes this client's offsets to its local file
  return received.Report(args);
}
