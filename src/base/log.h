// Logging: spdlog, rotating files where RocketMQ writes them (~/logs/rocketmqlogs/<name>.log)
// plus warnings and errors on stderr. Call InitLogging once at start-up, before shards start.
#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace mq {

struct LogOptions {
  std::string name = "mq";   // file name stem: namesrv, broker, ...
  std::string dir;           // empty: $HOME/logs/rocketmqlogs
  bool to_stderr = true;     // echo to stderr (level >= stderr_level)
  spdlog::level::level_enum level = spdlog::level::info;
  spdlog::level::level_enum stderr_level = spdlog::level::info;
};

// Returns the log file path in use (empty when only stderr could be opened).
std::string InitLogging(const LogOptions& options);
// InitLogging unless the process already called it: libraries (the client) use this so they log to
// a file like Java's rocketmq_client.log instead of spdlog's stock stdout logger, and never replace
// the logging an application or the `mq` binary set up.
void EnsureLogging(const LogOptions& options);
std::string DefaultLogDir();

}  // namespace mq

#define MQ_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define MQ_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define MQ_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define MQ_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
