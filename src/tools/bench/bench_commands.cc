#include "tools/bench/bench_commands.h"

#include <CLI/CLI.hpp>

#include "tools/bench/bench_consumer.h"
#include "tools/bench/bench_producer.h"

namespace mq::tools {

void RegisterBenchCommands(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "load generators: bench producer | bench consumer");
  bench->require_subcommand(1);
  AddProducerBenchCommand(*bench);
  AddConsumerBenchCommand(*bench);
}

}  // namespace mq::tools
