#include "broker/broker_context.h"

#include <memory>

#include "base/log.h"

namespace mq::broker {

bool RunOn(runtime::ShardSet& shards, uint32_t to, runtime::Task task) {
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == to) {
    task();
    return true;
  }
  return shards.SubmitTo(to, std::move(task));
}

void ReplyOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, remoting::Command response) {
  auto resp = std::make_shared<remoting::Command>(std::move(response));
  if (!RunOn(shards, conn->shard_id(), [conn, resp] { conn->Send(*resp); })) {
    MQ_LOG_WARN("dropping a response to {}: shard {} ring full", conn->peer_address(), conn->shard_id());
  }
}

}  // namespace mq::broker
