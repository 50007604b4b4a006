// `mq bench producer|consumer`. main() calls RegisterBenchCommands(app) before CLI11_PARSE; a bench
// run happens inside the parse (subcommand callback) and its exit code comes back through
// CLI11_PARSE, so main needs no other change.
#pragma once

namespace CLI {
class App;
}

namespace mq::tools {

void RegisterBenchCommands(CLI::App& app);

}  // namespace mq::tools
