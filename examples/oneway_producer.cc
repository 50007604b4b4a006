// Oneway send: no response from the broker and no retry, so nothing to report per message but
// local errors (no route, bad message). For data where throughput matters more than certainty,
// such as logs.
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
    if (auto result = producer.SendOneway(msg); !result.ok()) {
      std::fprintf(stderr, "send %d failed: %s\n", i, result.ToString().c_str());
      continue;
    }
    std::printf("ONEWAY body=%s\n", msg.body.c_str());
    ++sent;
  }

  // Shutdown() unregisters from the broker over the same connection, after the queued oneway requests.
  producer.Shutdown();
  std::printf("sent %d\n", sent);
  return sent == args.count ? 0 : 1;
}
