// `mq bench producer`: load generator on mq::Producer, against mq or any RocketMQ 4.x cluster.
// Closed loop by default (each thread sends as fast as answers come back); with a rate (-r) it is
// open loop: every send has an intended time on a fixed schedule and its latency is measured from
// that time, so a stall delays the schedule's later sends and they count it (no coordinated omission).
#pragma once
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace mq::tools {

struct ProducerBenchOptions {
  std::string namesrv_addr = "127.0.0.1:9876";  // -n
  std::string topic = "BenchmarkTest";          // -t
  uint32_t threads = 64;                        // -w
  uint32_t message_size_bytes = 128;            // -s
  bool keys = false;                            // -k: a unique key per message
  uint32_t tag_count = 0;                       // -l: tags Tag0..Tag<l-1>, round robin
  bool async = false;                           // -y
  uint32_t batch_size = 1;                      // -b: >1 sends SEND_BATCH_MESSAGE
  uint64_t total_messages = 0;                  // -q: 0 = no limit
  std::string group = "benchmark_producer";     // -g
  uint64_t duration_s = 0;                      // -d: 0 = until -q or Ctrl-C
  uint64_t rate_msgs_per_s = 0;                 // -r: 0 = closed loop
  bool oneway = false;
  uint32_t report_interval_s = 1;
  std::string json_path;
  uint32_t max_in_flight = 10000;  // async: sends awaiting an answer, all threads together
  uint64_t send_timeout_ms = 3000;
};

// Runs the benchmark, printing interval lines and the summary; returns the process exit code
// (0 ok, 1 start-up failure, 2 bad options, 3 every send failed).
int RunProducerBench(const ProducerBenchOptions& options);
void AddProducerBenchCommand(CLI::App& bench);

}  // namespace mq::tools
