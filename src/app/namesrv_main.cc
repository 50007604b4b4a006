// `mq --role=namesrv`: reads the name server config (RocketMQ .properties + key=value overrides),
// starts the shards and the name server, serves until SIGTERM/SIGINT.
#include <cstdio>

#include "app/options.h"
#include "app/pid_file.h"
#include "app/roles.h"
#include "app/signals.h"
#include "base/log.h"
#include "namesrv/name_server.h"

namespace mq::app {

int RunNamesrv(const CommonOptions& options) {
  auto props = LoadProperties(options.config_file, options.overrides);
  if (!props.ok()) return ConfigError(props.status());
  if (options.port) props->Set("listenPort", std::to_string(*options.port));
  auto ns_options = NamesrvOptionsFrom(
      *props, !options.bind_host.empty() ? options.bind_host : props->GetString("bindAddress", "0.0.0.0"));
  if (!ns_options.ok()) return ConfigError(ns_options.status());

  LogOptions log_options;
  log_options.name = "namesrv";
  log_options.dir = props->GetString("logDir", "");
  const std::string log_path = InitLogging(log_options);

  BlockStopSignals();  // before any thread starts, so only the main thread takes them
  auto shards = StartShards(options);
  if (!shards.ok()) {
    MQ_LOG_ERROR("cannot start the runtime: {}", shards.status().ToString());
    return 1;
  }
  auto ns = namesrv::NameServer::Start(**shards, *ns_options);
  if (!ns.ok()) {
    MQ_LOG_ERROR("cannot start the name server on {}:{}: {}", ns_options->bind_host, ns_options->listen_port,
                 ns.status().remark());
    (*shards)->RequestStop();
    (*shards)->Join();
    return 1;
  }
  const std::string pid_file = options.pid_file.empty() ? DefaultPidFile("namesrv") : options.pid_file;
  if (auto st = WritePidFile(pid_file); !st.ok()) MQ_LOG_WARN("{}", st.remark());

  std::printf("The Name Server boot success. serializeType=JSON, listening on %s:%u, %u shards, io backend %s, log %s\n",
              ns_options->bind_host.c_str(), (*ns)->port(), (*shards)->size(), (*shards)->backend_name(),
              log_path.c_str());
  std::fflush(stdout);
  MQ_LOG_INFO("name server listening on {}:{}", ns_options->bind_host, (*ns)->port());

  const int sig = WaitForStopSignal();
  MQ_LOG_INFO("signal {} received, shutting down the name server", sig);
  (*ns)->Stop();
  (*shards)->RequestStop();
  (*shards)->Join();
  RemovePidFile(pid_file);
  MQ_LOG_INFO("name server stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace mq::app
