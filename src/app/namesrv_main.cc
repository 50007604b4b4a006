// `mq --role=namesrv`: reads the name server config (RocketMQ .properties + key=value overrides),
// starts the shards and the name server, serves until SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "app/options.h"
#include "app/pid_file.h"
#include "app/signals.h"
#include "base/log.h"
#include "base/properties.h"
#include "namesrv/name_server.h"
#include "runtime/shard_set.h"

namespace mq::app {
namespace {

constexpr int kExitConfigError = 2;

Result<Properties> LoadConfig(const CommonOptions& options) {
  Properties props;
  if (!options.config_file.empty()) {
    auto loaded = Properties::LoadFile(options.config_file);
    if (!loaded.ok()) return loaded.status();
    props = std::move(loaded).value();
  }
  for (const auto& kv : options.overrides) {
    if (auto st = props.SetFromArg(kv); !st.ok()) return st;
  }
  if (options.port) props.Set("listenPort", std::to_string(*options.port));
  return props;
}

}  // namespace

int RunNamesrv(const CommonOptions& options, bool local_mode) {
  auto props = LoadConfig(options);
  if (!props.ok()) {
    std::fprintf(stderr, "mq: %s\n", props.status().remark().c_str());
    return kExitConfigError;
  }
  namesrv::NameServerOptions ns_options;
  auto port = props->GetInt("listenPort", 9876);
  auto order = props->GetBool("orderMessageEnable", false);
  if (!port.ok() || *port < 0 || *port > 65535 || !order.ok()) {
    std::fprintf(stderr, "mq: %s\n", !port.ok() ? port.status().remark().c_str()
                                     : !order.ok() ? order.status().remark().c_str()
                                                   : "listenPort must be 0..65535");
    return kExitConfigError;
  }
  ns_options.listen_port = static_cast<uint16_t>(*port);
  ns_options.order_message_enable = *order;
  ns_options.kv_config_path = props->GetString("kvConfigPath", "");
  auto expiry_ms = props->GetInt("brokerChannelExpiredTime", namesrv::RouteTable::kBrokerExpiryMs);
  auto scan_ms = props->GetInt("scanNotActiveBrokerInterval", 10000);
  if (!expiry_ms.ok() || !scan_ms.ok() || *expiry_ms <= 0 || *scan_ms <= 0) {
    std::fprintf(stderr, "mq: brokerChannelExpiredTime and scanNotActiveBrokerInterval must be positive integers (ms)\n");
    return kExitConfigError;
  }
  ns_options.broker_expiry_ms = *expiry_ms;
  ns_options.scan_interval_ms = static_cast<uint64_t>(*scan_ms);
  ns_options.bind_host = !options.bind_host.empty() ? options.bind_host
                         : local_mode              ? "127.0.0.1"
                                                   : props->GetString("bindAddress", "0.0.0.0");

  LogOptions log_options;
  log_options.name = "namesrv";
  log_options.dir = props->GetString("logDir", "");
  const std::string log_path = InitLogging(log_options);

  BlockStopSignals();  // before any thread starts, so only the main thread takes them

  runtime::RuntimeOptions rt;
  rt.shard_count = options.smp;
  auto backend = runtime::ParseBackendChoice(options.io_backend);
  if (!backend.ok()) {
    std::fprintf(stderr, "mq: %s\n", backend.status().remark().c_str());
    return kExitConfigError;
  }
  rt.backend = *backend;
  auto shards = runtime::ShardSet::Start(rt);
  if (!shards.ok()) {
    MQ_LOG_ERROR("cannot start the runtime: {}", shards.status().ToString());
    return 1;
  }
  auto ns = namesrv::NameServer::Start(**shards, ns_options);
  if (!ns.ok()) {
    MQ_LOG_ERROR("cannot start the name server on {}:{}: {}", ns_options.bind_host, ns_options.listen_port,
                 ns.status().remark());
    (*shards)->RequestStop();
    (*shards)->Join();
    return 1;
  }
  const std::string pid_file = options.pid_file.empty() ? DefaultPidFile("namesrv") : options.pid_file;
  if (auto st = WritePidFile(pid_file); !st.ok()) MQ_LOG_WARN("{}", st.remark());

  std::printf("The Name Server boot success. serializeType=JSON, listening on %s:%u, %u shards, io backend %s, log %s\n",
              ns_options.bind_host.c_str(), (*ns)->port(), (*shards)->size(), (*shards)->backend_name(),
              log_path.c_str());
  std::fflush(stdout);
  MQ_LOG_INFO("name server listening on {}:{}", ns_options.bind_host, (*ns)->port());

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
