// What a broker request processor may use: narrow references owned by the Broker (composition
// root, broker.h). Processors are registered in the ProcessorTable; a request arrives on its
// connection's shard, and processors move work explicitly: queue work to store.ShardOf(topic, queue)
// (where the queue's data, offsets and held pulls live), control work through ControlPlane. Answers
// go back with ReplyOnOwnShard (a connection may only be used on its own shard).
#pragma once
#include <functional>

#include "broker/broker_config.h"
#include "broker/control_plane.h"
#include "net/connection.h"
#include "remoting/command.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"

namespace mq::broker {

class LongPollService;

struct BrokerContext {
  const BrokerConfig& config;
  runtime::ShardSet& shards;
  store::MessageStore& store;
  ControlPlane& control;
  LongPollService* long_poll = nullptr;  // set by the pull processor's owner
  // The broker's advertised host:port (brokerIP1:listenPort), for offset msgIds and store hosts.
  std::string store_host;
};

// Sends `response` on the connection's own shard (now, if already there). Never for oneway requests.
void ReplyOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, remoting::Command response);

// Runs `task` on shard `to` (now, if already there); false when the ring is full.
bool RunOn(runtime::ShardSet& shards, uint32_t to, runtime::Task task);

}  // namespace mq::broker
