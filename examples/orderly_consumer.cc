// Orderly push consumer: each queue is consumed by one thread at a time, in queue order, while this
// client holds the queue's lock on the broker. With an ordered producer (same order id -> same
// queue) every order is seen step by step. kSuspendCurrentQueueAMoment retries the same messages
// after a pause without letting later ones overtake them.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

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

  std::mutex mu;
  std::condition_variable enough;
  int received = 0;
  consumer.RegisterListener([&](const std::vector<mq::MessageExt>& msgs) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& m : msgs) {
      std::printf("received msgId=%s queue=%s offset=%lld body=%s\n", m.msg_id.c_str(), m.queue.ToString().c_str(),
                  static_cast<long long>(m.queue_offset), m.body.c_str());
      ++received;
    }
    enough.notify_one();
    return mq::OrderlyResult::kSuccess;
  });
  if (auto r = consumer.Start(); !r.ok()) {
    std::fprintf(stderr, "start failed: %s\n", r.ToString().c_str());
    return 1;
  }

  bool done;
  {
    std::unique_lock<std::mutex> lock(mu);
    done = enough.wait_for(lock, std::chrono::seconds(args.wait_s), [&] { return received >= args.count; });
  }
  consumer.Shutdown();  // commits offsets and releases the queue locks
  if (!done) {
    std::fprintf(stderr, "timed out after %d s: received %d of %d\n", args.wait_s, received, args.count);
    return 1;
  }
  std::printf("received %d\n", received);
  return 0;
}
