// Batch send: one request carries many messages of one topic to one queue (no delay levels, at most
// 4 MiB in total). The result holds one msgId per message, comma-separated, and the queue offset
// of the first; the others follow it.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

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

  std::vector<mq::Message> batch;
  for (int i = 0; i < args.count; ++i) batch.emplace_back(args.topic, "TagA", "Hello mq " + std::to_string(i));
  auto result = producer.SendBatch(batch);
  producer.Shutdown();
  if (!result.ok()) {
    std::fprintf(stderr, "batch send failed: %s\n", result.error().ToString().c_str());
    return 1;
  }

  std::istringstream ids(result->msg_id);
  std::string id;
  int sent = 0;
  while (sent < args.count && std::getline(ids, id, ',')) {
    std::printf("%s msgId=%s queue=%s offset=%lld body=%s\n", mq::SendStatusName(result->status), id.c_str(),
                result->queue.ToString().c_str(), static_cast<long long>(result->queue_offset + sent),
                batch[sent].body.c_str());
    ++sent;
  }
  std::printf("sent %d\n", sent);
  return sent == args.count ? 0 : 1;
}
