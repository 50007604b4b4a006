// Ordered send: messages of one order (same order id) go to the same queue, so an orderly consumer
// sees them in the order they were sent. The selector picks the queue: SelectByHash hashes the
// order id as Java's String.hashCode() does, modulo the queue count.
#include <cstdio>
#include <string>

#include "example_args.h"
#include "mq/producer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExampleOrderedProducerGroup");
  constexpr int kOrders = 4;

  mq::ProducerOptions options;
  options.group = args.group;
  options.namesrv_addr = args.namesrv;
  mq::Producer producer(options);
  if (auto started = producer.Start(); !started.ok()) {
    std::fprintf(stderr, "start failed: %s\n", started.ToString().c_str());
    return 1;
  }

  int sent = 0;
  for (int i = 0; i < args.count; ++i) {
    const std::string order_id = "order-" + std::to_string(i % kOrders);
    const int seq = i / kOrders;  // the step within its order: 0, 1, 2, ...
    mq::Message msg(args.topic, "TagA", order_id + " seq=" + std::to_string(seq));
    msg.keys = order_id;
    auto result = producer.Send(msg, mq::SelectByHash, order_id);
    if (!result.ok()) {
      std::fprintf(stderr, "send %d failed: %s\n", i, result.error().ToString().c_str());
      continue;  // a real application would stop this order here: the next step must not overtake
    }
    std::printf("%s msgId=%s queue=%s offset=%lld body=%s\n", mq::SendStatusName(result->status),
                result->msg_id.c_str(), result->queue.ToString().c_str(),
                static_cast<long long>(result->queue_offset), msg.body.c_str());
    ++sent;
  }

  producer.Shutdown();
  std::printf("sent %d\n", sent);
  return sent == args.count ? 0 : 1;
}
