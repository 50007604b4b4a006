// Broker admin requests (spec 3.5), as mqadmin and the consoles send them:
//   UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215), GET_ALL_TOPIC_CONFIG (21),
//   UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201),
//   DELETE_SUBSCRIPTIONGROUP (207), GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25),
//   GET_BROKER_RUNTIME_INFO (28).
//
// Threads: headers and bodies are decoded on the connection's shard; every read or change of the
// topic and group tables runs on shard 0 through ControlPlane::CallOnControl (changes publish new
// snapshots there); DELETE_TOPIC_IN_BROKER then drops the topic's consume queues and consumer
// offsets on every shard (each shard owns its queues) and answers once all shards did. Answers go
// back with ReplyOnOwnShard. UPDATE_AND_CREATE_TOPIC answers after the registration of the new
// topic with the name servers finished (or timed out), as the reference does, so a client that
// asks the name server right after the answer sees the route.
//
// UPDATE_BROKER_CONFIG is the request CVE-2023-33246 abused (rewriting paths and commands): it is
// refused with NO_PERMISSION unless enableUpdateBrokerConfig=true, and even then only the keys of
// kUpdatableBrokerConfigKeys are accepted. Accepted values are validated, written to
// <storePathRootDir>/config/brokerConfigOverride.properties and take effect at the next start (the
// running config is read by every shard without synchronisation, so it never changes in place).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker_context.h"
#include "broker/metadata/json_file.h"
#include "net/processor_table.h"

namespace mq::broker {

class NamesrvRegistrar;
class BrokerStats;

inline constexpr const char* kSlaveRefusalRemark =
    "Can't modify topic or subscription group from slave broker, please execute it from master broker.";

// Keys UPDATE_BROKER_CONFIG may change (never a path, a command or an address).
bool IsUpdatableBrokerConfigKey(std::string_view key);
// <storePathRootDir>/config/brokerConfigOverride.properties
std::string BrokerConfigOverridePath(const std::string& store_root);

struct AdminContext {
  BrokerContext& broker;
  NamesrvRegistrar* registrar = nullptr;  // null: no name servers to tell (tests)
  BrokerStats* stats = nullptr;           // null: runtime info counters read 0
  // The broker configuration's DataVersion (GET_BROKER_CONFIG ext field `version`): counter 0 and
  // the boot time, as the reference reports an unchanged configuration.
  DataVersion config_version;
};

// Registers the codes above. `admin` must outlive the shards' loops.
void RegisterAdminProcessors(AdminContext& admin, net::ProcessorTable& table);

}  // namespace mq::broker
