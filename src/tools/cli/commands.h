// The newcomer and operator commands of the `mq` binary, thin wrappers over the public client
// library (include/mq/*.h): `mq produce`, `mq consume`, `mq admin <command>` (mqadmin's names and
// flags). main() calls RegisterClientCommands(app) before CLI11_PARSE; a command runs inside the
// parse (subcommand callback) and its exit code comes back through CLI11_PARSE, as `mq bench` does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mq {
struct MessageExt;
}

namespace mq::tools {

void RegisterClientCommands(CLI::App& app);

namespace cli {

void AddProduceCommand(CLI::App& app);
void AddConsumeCommand(CLI::App& app);
void AddAdminCommand(CLI::App& app);

// NAMESRV_ADDR when set, else 127.0.0.1:9876 (what RocketMQ's tools default to).
std::string DefaultNamesrv();
// A JSON string literal (quotes included); control characters escaped, other bytes as is.
std::string JsonString(const std::string& s);
// Local time "yyyy-MM-dd HH:mm:ss,SSS" of a unix time in ms.
std::string FormatTimeMs(int64_t ms);
// Prints a left-aligned table with a header row, columns two spaces apart.
void PrintTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// A received/queried message as one JSON object.
std::string MessageJson(const MessageExt& m);
// Client logs go to ~/logs/rocketmqlogs/mq_tools.log, warnings and errors to stderr: stdout
// carries only the command's output (tables, --json).
void InitToolLogging();
// Ends a command: CLI11 carries the exit code out of the parse (see bench_commands.h).
[[noreturn]] void Exit(int rc);

}  // namespace cli
}  // namespace mq::tools
