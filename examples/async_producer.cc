// Asynchronous send: SendAsync() returns at once and the callback runs later, exactly once, on the
// producer's callback pool. Wait for every callback before shutting down.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
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

  std::mutex mu;
  std::condition_variable all_done;
  int answered = 0, sent = 0;
  for (int i = 0; i < args.count; ++i) {
    const std::string body = "Hello mq " + std::to_string(i);
    producer.SendAsync(mq::Message(args.topic, "TagA", body), [&, body](mq::Expected<mq::SendResult> result) {
      std::lock_guard<std::mutex> lock(mu);
      if (result.ok()) {
        std::printf("%s msgId=%s queue=%s offset=%lld body=%s\n", mq::SendStatusName(result->status),
                    result->msg_id.c_str(), result->queue.ToString().c_str(),
                    static_cast<long long>(result->queue_offset), body.c_str());
        ++sent;
      } else {
        std::fprintf(stderr, "send failed (%s): %s\n", body.c_str(), result.error().ToString().c_str());
      }
      if (++answered == args.count) all_done.notify_one();
    });
  }

  {
    // Every callback comes within the send timeout (3 s by default); wait a little longer.
    std::unique_lock<std::mutex> lock(mu);
    all_done.wait_for(lock, std::chrono::seconds(10), [&] { return answered == args.count; });
  }
  producer.Shutdown();
  std::lock_guard<std::mutex> lock(mu);
  std::printf("sent %d\n", sent);
  return sent == args.count ? 0 : 1;
}
