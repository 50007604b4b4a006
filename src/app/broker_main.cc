// `mq --role=broker [-c broker.conf] [-n host:port;...] [-p port] [key=value ...]`: the broker role,
// like mqbroker. Reads broker.conf keys (spec 6.10), opens and recovers the store, serves until
// SIGTERM/SIGINT, then unregisters from the name servers and shuts down cleanly.
#include <cstdio>

#include "app/options.h"
#include "app/pid_file.h"
#include "app/roles.h"
#include "app/signals.h"
#include "base/log.h"
#include "broker/broker.h"

namespace mq::app {

Status StartBroker(runtime::ShardSet& shards, BrokerSettings settings, const std::string& bind_host,
                   std::unique_ptr<broker::Broker>& out) {
  broker::BrokerOptions options;
  options.bind_host = bind_host;
  auto created = broker::Broker::Create(std::move(settings.config), std::move(settings.store), shards, options);
  if (!created.ok()) return created.status();
  out = std::move(created).value();
  return out->Start();
}

void PrintBrokerBootLine(const broker::Broker& broker, const std::string& bind_host, const runtime::ShardSet& shards,
                         const std::string& log_path) {
  const auto& c = broker.config();
  std::printf("The broker[%s, %s] boot success. serializeType=JSON and name server is %s, listening on %s:%u, "
              "fast port %u, %u shards, io backend %s, store %s, log %s\n",
              c.broker_name.c_str(), broker.address().c_str(), c.namesrv_addr.empty() ? "(none)" : c.namesrv_addr.c_str(),
              bind_host.c_str(), broker.port(), broker.fast_port(), shards.size(),
              shards.backend_name(), c.store_path_root_dir.c_str(), log_path.c_str());
  std::fflush(stdout);
}

void StopBrokerAndShards(broker::Broker* broker, runtime::ShardSet& shards, std::function<void()> before_join) {
  if (broker != nullptr) broker->Stop();
  if (before_join) before_join();
  shards.RequestStop();
  shards.Join();
  if (broker != nullptr) broker->Shutdown();
}

int RunBroker(const CommonOptions& options) {
  auto props = LoadProperties(options.config_file, options.overrides);
  if (!props.ok()) return ConfigError(props.status());
  if (options.port) props->Set("listenPort", std::to_string(*options.port));
  if (!options.namesrv_addr.empty()) props->Set("namesrvAddr", options.namesrv_addr);
  const std::string bind_host = options.bind_host.empty() ? "0.0.0.0" : options.bind_host;
  // Bound to one address: advertise that one unless brokerIP1 says otherwise.
  if (bind_host != "0.0.0.0" && !props->Get("brokerIP1")) props->Set("brokerIP1", bind_host);
  auto settings = BrokerSettingsFrom(*props);
  if (!settings.ok()) return ConfigError(settings.status());

  LogOptions log_options;
  log_options.name = "broker";
  log_options.dir = props->GetString("logDir", "");
  const std::string log_path = InitLogging(log_options);

  BlockStopSignals();
  auto shards = StartShards(options);
  if (!shards.ok()) {
    MQ_LOG_ERROR("cannot start the runtime: {}", shards.status().ToString());
    return 1;
  }
  std::unique_ptr<broker::Broker> broker;
  if (Status st = StartBroker(**shards, std::move(settings).value(), bind_host, broker); !st.ok()) {
    MQ_LOG_ERROR("cannot start the broker: {}", st.ToString());
    StopBrokerAndShards(broker.get(), **shards);
    return 1;
  }
  const std::string pid_file = options.pid_file.empty() ? DefaultPidFile("broker") : options.pid_file;
  if (auto st = WritePidFile(pid_file); !st.ok()) MQ_LOG_WARN("{}", st.remark());
  PrintBrokerBootLine(*broker, bind_host, **shards, log_path);

  const int sig = WaitForStopSignal();
  MQ_LOG_INFO("signal {} received, shutting down the broker", sig);
  StopBrokerAndShards(broker.get(), **shards);
  broker.reset();
  RemovePidFile(pid_file);
  MQ_LOG_INFO("broker stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace mq::app
