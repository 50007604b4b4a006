// Synchronous send: each Send() returns once the broker stored the message (or failed after the
// library's retries). The simplest and most common way to produce.
#include <cstdio>
#include <string>

#include "example_args.h"
#include "mq/producer.h"

int main(int argc, char** argv) {
  const ExampleArgs args = ParseArgs(argc, argv, "ExampleProducerGroup");

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
    mq::Message msg(args.topic, "TagA", "Hello mq " + std::to_string(i));
    msg.keys = "sync-" + std::to_string(i);  // indexed: `mq admin queryMsgByKey` finds it
    auto result = producer.Send(msg);
    if (!result.ok()) {
      std::fprintf(stderr, "send %d failed: %s\n", i, result.error().ToString().c_str());
      continue;
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
