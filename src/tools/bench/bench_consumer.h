// `mq bench consumer`: a PushConsumer that counts what it receives and measures, per message,
// born-to-consume (from the producer's send time: the BENCH_SEND_US property `mq bench producer`
// sets, else the ms born timestamp) and store-to-consume (from the broker's ms store timestamp, so
// that figure has 1 ms granularity). Wall clocks: producer, broker and consumer should share a host
// or a well-synchronised clock.
#pragma once
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace mq::tools {

struct ConsumerBenchOptions {
  std::string namesrv_addr = "127.0.0.1:9876";  // -n
  std::string topic = "BenchmarkTest";          // -t
  std::string group = "benchmark_consumer";     // -g
  uint32_t threads = 20;                        // -w: the consume pool
  std::string tag_expression = "*";             // -e
  uint64_t total_messages = 0;                  // -q: stop after this many (0 = no limit)
  uint64_t duration_s = 0;                      // -d
  uint64_t idle_exit_s = 0;                     // stop once nothing arrived for this long (after the first)
  bool from_first = false;                      // a new group starts at the first offset (backlog drain)
  uint32_t pull_batch_size = 32;
  uint32_t report_interval_s = 1;
  std::string json_path;
};

int RunConsumerBench(const ConsumerBenchOptions& options);
void AddConsumerBenchCommand(CLI::App& bench);

}  // namespace mq::tools
