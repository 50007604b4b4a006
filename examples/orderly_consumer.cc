// Orderly push consumer: each queue is consumed by one thread at a time, in queue order, while this
// client holds the queue's lock on the broker. With an ordered producer (same order id -> same
// queue) every order is seen step by step. kSuspendCurrentQueueAMoment retries the same messages
// after a pause without letting later ones overtake them.
#include <cstdio>

#include "example_args.h"
#include "mq/consumer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExampleOrderlyConsumerGroup", {"--from-first"});

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
    return mq::OrderlyResult::kSuccess;
  });
  if (auto r = consumer.Start(); !r.ok()) {
    std::fprintf(stderr, "start failed: %s\n", r.ToString().c_str());
    return 1;
  }

  received.Wait(args);
  consumer.Shutdown();  // commits offsets and releases the queue locks
  return received.Report(args);
}
