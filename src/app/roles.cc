#include "app/roles.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "broker/processors/admin_processor.h"

namespace mq::app {

Result<Properties> LoadProperties(const std::string& file, const std::vector<std::string>& overrides) {
  Properties props;
  if (!file.empty()) {
    auto loaded = Properties::LoadFile(file);
    if (!loaded.ok()) return loaded.status();
    props = std::move(loaded).value();
  }
  for (const auto& kv : overrides) {
    if (auto st = props.SetFromArg(kv); !st.ok()) return st;
  }
  return props;
}

Result<namesrv::NameServerOptions> NamesrvOptionsFrom(const Properties& props, const std::string& bind_host) {
  namesrv::NameServerOptions ns;
  auto port = props.GetInt("listenPort", 9876);
  if (!port.ok()) return port.status();
  if (*port < 0 || *port > 65535) return Status::SystemError("listenPort must be 0..65535");
  auto order = props.GetBool("orderMessageEnable", false);
  if (!order.ok()) return order.status();
  auto expiry_ms = props.GetInt("brokerChannelExpiredTime", namesrv::RouteTable::kBrokerExpiryMs);
  auto scan_ms = props.GetInt("scanNotActiveBrokerInterval", 10000);
  if (!expiry_ms.ok() || !scan_ms.ok() || *expiry_ms <= 0 || *scan_ms <= 0) {
    return Status::SystemError("brokerChannelExpiredTime and scanNotActiveBrokerInterval must be positive integers (ms)");
  }
  ns.listen_port = static_cast<uint16_t>(*port);
  ns.order_message_enable = *order;
  ns.kv_config_path = props.GetString("kvConfigPath", "");
  ns.broker_expiry_ms = *expiry_ms;
  ns.scan_interval_ms = static_cast<uint64_t>(*scan_ms);
  ns.bind_host = bind_host;
  return ns;
}

Result<BrokerSettings> BrokerSettingsFrom(Properties props) {
  // Values accepted by UPDATE_BROKER_CONFIG (allowlisted keys only) apply from the next start;
  // the config file and the command line keep the last word.
  const char* home = std::getenv("HOME");
  const std::string root = props.GetString("storePathRootDir", std::string(home && *home ? home : ".") + "/store");
  const std::string override_path = broker::BrokerConfigOverridePath(root);
  std::error_code ec;
  if (std::filesystem::exists(override_path, ec)) {
    auto extra = Properties::LoadFile(override_path);
    if (!extra.ok()) return extra.status();
    Properties merged;
    for (const auto& [k, v] : extra->entries()) {
      if (broker::IsUpdatableBrokerConfigKey(k)) merged.Set(k, v);
    }
    merged.Merge(props);
    props = std::move(merged);
  }
  auto config = broker::BrokerConfig::FromProperties(props);
  if (!config.ok()) return config.status();
  auto store = store::MessageStoreConfig::FromProperties(props);
  if (!store.ok()) return store.status();
  return BrokerSettings{std::move(config).value(), std::move(store).value()};
}

Result<std::unique_ptr<runtime::ShardSet>> StartShards(const CommonOptions& options) {
  runtime::RuntimeOptions rt;
  rt.shard_count = options.smp;
  auto backend = runtime::ParseBackendChoice(options.io_backend);
  if (!backend.ok()) return backend.status();
  rt.backend = *backend;
  return runtime::ShardSet::Start(rt);
}

int ConfigError(const Status& status) {
  std::fprintf(stderr, "mq: %s\n", status.remark().c_str());
  return kExitConfigError;
}

}  // namespace mq::app
