// Command-line surface of the `mq` binary, parsed with CLI11 in main.cc and handed to the roles.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mq::app {

struct CommonOptions {
  std::string config_file;              // -c: RocketMQ .properties file
  std::vector<std::string> overrides;   // key=value, applied after the file
  std::optional<uint16_t> port;         // -p: the role's listenPort (the broker's in the local default)
  uint32_t smp = 0;                     // --smp: shard count, 0 = one per core
  std::string io_backend = "auto";      // --io-backend=auto|uring|epoll
  std::string pid_file;                 // --pid-file: default per role
  std::string bind_host;                // --bind: default 0.0.0.0 for roles, 127.0.0.1 for local
  std::string namesrv_addr;             // -n: broker's name servers ("host:port;host:port")
  std::optional<uint16_t> namesrv_port; // --namesrv-port: the local default's name server port
};

// `mq --role=namesrv`. Returns the process exit code.
int RunNamesrv(const CommonOptions& options);
// `mq --role=broker`.
int RunBroker(const CommonOptions& options);
// `mq` alone: a name server and a broker in one process on loopback, sharing one ShardSet.
int RunLocal(const CommonOptions& options);
// `mq shutdown <role>`: signals the process recorded in the role's pid file.
int RunShutdown(const std::string& role, const std::string& pid_file, uint32_t wait_ms);
std::string DefaultPidFile(const std::string& role);

}  // namespace mq::app
