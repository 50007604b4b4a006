// What the role entry points (namesrv_main, broker_main, local_main) share: reading the
// .properties config with command-line overrides, starting the shards, and turning properties
// into the name server's and the broker's settings. Main thread only, at start-up.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/options.h"
#include "base/properties.h"
#include "base/status.h"
#include "broker/broker_config.h"
#include "namesrv/name_server.h"
#include "runtime/shard_set.h"
#include "store/store_config.h"

namespace mq::app {

constexpr int kExitConfigError = 2;

// `file` (may be empty) then every `key=value` of `overrides`.
Result<Properties> LoadProperties(const std::string& file, const std::vector<std::string>& overrides);

Result<namesrv::NameServerOptions> NamesrvOptionsFrom(const Properties& props, const std::string& bind_host);

struct BrokerSettings {
  broker::BrokerConfig config;
  store::MessageStoreConfig store;
};
// Both halves from the same properties, after applying the UPDATE_BROKER_CONFIG override file
// under storePathRootDir (below `props`' own keys: the command line wins).
Result<BrokerSettings> BrokerSettingsFrom(Properties props);

Result<std::unique_ptr<runtime::ShardSet>> StartShards(const CommonOptions& options);

// The `-c` / `key=value` error line on stderr; returns kExitConfigError.
int ConfigError(const Status& status);

}  // namespace mq::app

namespace mq::broker {
class Broker;
}

namespace mq::app {

// Creates (store recovery included) and starts a broker on running shards. On an error `out` may
// hold a half-started broker: pass it to StopBrokerAndShards.
Status StartBroker(runtime::ShardSet& shards, BrokerSettings settings, const std::string& bind_host,
                   std::unique_ptr<broker::Broker>& out);
// "The broker[<name>, <addr>] boot success. ... listening on <bind>:<port>, ..." on stdout.
void PrintBrokerBootLine(const broker::Broker& broker, const std::string& bind_host, const runtime::ShardSet& shards,
                         const std::string& log_path);
// Main thread: Stop (unregister, servers, services), then the shards, then Shutdown (store, metadata).
void StopBrokerAndShards(broker::Broker* broker, runtime::ShardSet& shards, std::function<void()> before_join = {});

}  // namespace mq::app
