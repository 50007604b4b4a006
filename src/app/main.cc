// The one `mq` binary: `mq` alone runs the local default (a name server on 127.0.0.1:9876 and a
// broker on 127.0.0.1:10911 in one process), `mq --role=namesrv` the name server, `mq --role=broker`
// the broker, `mq shutdown <role>` stops one.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/options.h"
#include "mq/version.h"
#include "tools/bench/bench_commands.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"mq: a fast Apache RocketMQ 4.x compatible message queue", "mq"};
  app.set_version_flag("--version", std::string("mq ") + mq::kVersion + " (Apache RocketMQ " +
                                        mq::kRocketmqCompatibleVersion + " remoting protocol)");
  mq::app::CommonOptions common;
  std::string role;
  app.add_option("--role", role, "namesrv | broker (default: local name server + broker on 127.0.0.1)")
      ->check(CLI::IsMember({"namesrv", "broker"}));
  app.add_option("-c,--config", common.config_file, "RocketMQ .properties config file")->check(CLI::ExistingFile);
  app.add_option("-p,--port", common.port, "listen port (overrides listenPort; the broker's in the local default)");
  app.add_option("-n,--namesrv-addr", common.namesrv_addr, "broker: name servers, host:port[;host:port...]");
  app.add_option("--namesrv-port", common.namesrv_port, "local default: the name server's port (default 9876)");
  app.add_option("--smp", common.smp, "number of shards (threads); 0 = one per core")->check(CLI::Range(0, 256));
  app.add_option("--io-backend", common.io_backend, "auto | uring | epoll")
      ->check(CLI::IsMember({"auto", "uring", "epoll"}));
  app.add_option("--pid-file", common.pid_file, "pid file used by `mq shutdown`");
  app.add_option("--bind", common.bind_host, "address to listen on");
  app.add_option("overrides", common.overrides, "config overrides as key=value");

  auto* shutdown = app.add_subcommand("shutdown", "stop a running mq role (like mqshutdown)");
  std::string shutdown_role;
  std::string shutdown_pid_file;
  uint32_t wait_ms = 15000;
  shutdown->add_option("role", shutdown_role, "namesrv | broker")->required();
  shutdown->add_option("--pid-file", shutdown_pid_file, "pid file of the instance");
  shutdown->add_option("--wait-ms", wait_ms, "how long to wait for it to exit");

  mq::tools::RegisterBenchCommands(app);  // `mq bench producer|consumer`
  mq::tools::RegisterClientCommands(app);  // `mq produce`, `mq consume`, `mq admin ...`

  CLI11_PARSE(app, argc, argv);

  if (*shutdown) return mq::app::RunShutdown(shutdown_role, shutdown_pid_file, wait_ms);
  if (role == "broker") return mq::app::RunBroker(common);
  if (role == "namesrv") return mq::app::RunNamesrv(common);
  return mq::app::RunLocal(common);
}
