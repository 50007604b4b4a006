// `mq` with no role: the local default. A name server and a broker in one process, on loopback,
// sharing one ShardSet, with an embedded broker config (autoCreateTopicEnable=true, store under
// ~/store): `mq` and a RocketMQ client pointed at 127.0.0.1:9876 is all a developer needs.
// `--namesrv-port` / `-p` move the name server / the broker (0: ephemeral, for tests); the broker
// registers with the name server's actual port. One boot line per component.
#include <cstdio>

#include "app/options.h"
#include "app/pid_file.h"
#include "app/roles.h"
#include "app/signals.h"
#include "base/log.h"
#include "broker/broker.h"
#include "namesrv/name_server.h"

namespace mq::app {
namespace {

constexpr uint16_t kLocalNamesrvPort = 9876;
constexpr uint16_t kLocalBrokerPort = 10911;

// The embedded broker.conf of the local default; -c and key=value override it.
Properties LocalBrokerDefaults() {
  Properties p;
  p.Set("brokerClusterName", "DefaultCluster");
  p.Set("brokerName", "broker-a");
  p.Set("brokerIP1", "127.0.0.1");
  p.Set("listenPort", std::to_string(kLocalBrokerPort));
  p.Set("autoCreateTopicEnable", "true");
  p.Set("autoCreateSubscriptionGroup", "true");
  return p;
}

}  // namespace

int RunLocal(const CommonOptions& options) {
  const std::string bind_host = options.bind_host.empty() ? "127.0.0.1" : options.bind_host;
  auto user = LoadProperties(options.config_file, options.overrides);
  if (!user.ok()) return ConfigError(user.status());
  // The name server reads only its own keys; listenPort is the broker's here.
  Properties ns_props = *user;
  ns_props.Set("listenPort", std::to_string(options.namesrv_port.value_or(kLocalNamesrvPort)));
  auto ns_options = NamesrvOptionsFrom(ns_props, bind_host);
  if (!ns_options.ok()) return ConfigError(ns_options.status());
  Properties broker_props = LocalBrokerDefaults();
  broker_props.Merge(*user);
  if (options.port) broker_props.Set("listenPort", std::to_string(*options.port));

  LogOptions log_options;
  log_options.name = "mq";
  log_options.dir = user->GetString("logDir", "");
  const std::string log_path = InitLogging(log_options);

  BlockStopSignals();
  auto shards = StartShards(options);
  if (!shards.ok()) {
    MQ_LOG_ERROR("cannot start the runtime: {}", shards.status().ToString());
    return 1;
  }
  runtime::ShardSet& set = **shards;
  auto ns = namesrv::NameServer::Start(set, *ns_options);
  if (!ns.ok()) {
    MQ_LOG_ERROR("cannot start the name server on {}:{}: {}", bind_host, ns_options->listen_port, ns.status().remark());
    set.RequestStop();
    set.Join();
    return 1;
  }
  std::printf("The Name Server boot success. serializeType=JSON, listening on %s:%u, %u shards, io backend %s, log %s\n",
              bind_host.c_str(), (*ns)->port(), set.size(), set.backend_name(), log_path.c_str());
  std::fflush(stdout);

  // Loopback clients reach the name server on 127.0.0.1 whatever it is bound to.
  const std::string ns_host = bind_host == "0.0.0.0" ? "127.0.0.1" : bind_host;
  broker_props.Set("namesrvAddr", ns_host + ":" + std::to_string((*ns)->port()));
  auto settings = BrokerSettingsFrom(broker_props);
  std::unique_ptr<broker::Broker> broker;
  Status started = settings.ok() ? StartBroker(set, std::move(settings).value(), bind_host, broker) : settings.status();
  if (!started.ok()) {
    MQ_LOG_ERROR("cannot start the broker: {}", started.ToString());
    std::fprintf(stderr, "mq: cannot start the broker: %s\n", started.remark().c_str());
    StopBrokerAndShards(broker.get(), set, [&] { (*ns)->Stop(); });
    return 1;
  }
  // Both roles' pid files point here, so `mq shutdown namesrv` and `mq shutdown broker` both work.
  std::vector<std::string> pid_files;
  if (!options.pid_file.empty()) {
    pid_files.push_back(options.pid_file);
  } else {
    pid_files = {DefaultPidFile("namesrv"), DefaultPidFile("broker")};
  }
  for (const auto& f : pid_files) {
    if (auto st = WritePidFile(f); !st.ok()) MQ_LOG_WARN("{}", st.remark());
  }
  PrintBrokerBootLine(*broker, bind_host, set, log_path);

  const int sig = WaitForStopSignal();
  MQ_LOG_INFO("signal {} received, shutting down the broker and the name server", sig);
  // The broker first: its UNREGISTER_BROKER still reaches our own name server.
  StopBrokerAndShards(broker.get(), set, [&] { (*ns)->Stop(); });
  broker.reset();
  for (const auto& f : pid_files) RemovePidFile(f);
  MQ_LOG_INFO("mq stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace mq::app
