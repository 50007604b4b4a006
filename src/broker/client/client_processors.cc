#include "broker/client/client_processors.h"

#include <set>

#include "base/log.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

int64_t NowMs() { return runtime::CurrentShard()->now_ms(); }

Command Ok(const Command& req, bool ext_fields_member) {
  Command resp = Command::ResponseTo(req, ResponseCode::kSuccess);
  // The reference writes "extFields":{} only for requests with a response header class (35, 38);
  // mirroring it keeps JSON answers byte-identical to the captured ones.
  resp.ext_fields_member = ext_fields_member;
  return resp;
}

}  // namespace

void SendOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, Command command) {
  if (!conn) return;
  const uint32_t shard = conn->shard_id();
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == shard) {
    conn->Send(command);
    return;
  }
  auto cmd = std::make_shared<Command>(std::move(command));
  if (!shards.SubmitTo(shard, [conn, cmd] { conn->Send(*cmd); })) {
    MQ_LOG_WARN("dropping a frame (code {}) to a client: shard {} ring full", cmd->code, shard);
  }
}

void CloseOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn) {
  if (!conn) return;
  const uint32_t shard = conn->shard_id();
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == shard) {
    conn->Close();
  } else if (!shards.SubmitTo(shard, [conn] { conn->Close(); })) {
    MQ_LOG_WARN("could not close an expired client connection: shard {} ring full", shard);
  }
}

ClientProcessors::ClientProcessors(runtime::ShardSet& shards, ClientOptions options, ClientHooks hooks)
    : shards_(shards), options_(options), hooks_(std::move(hooks)), locks_(options.lock_expiry_ms) {}

void ClientProcessors::Register(net::ProcessorTable& table) {
  Install(table, rc::kHeartBeat, &ClientProcessors::HeartBeat);
  Install(table, rc::kUnregisterClient, &ClientProcessors::UnregisterClient);
  Install(table, rc::kGetConsumerListByGroup, &ClientProcessors::GetConsumerList);
  Install(table, rc::kLockBatchMq, &ClientProcessors::LockBatch);
  Install(table, rc::kUnlockBatchMq, &ClientProcessors::UnlockBatch);
  Install(table, rc::kCheckClientConfig, &ClientProcessors::CheckClientConfig);
}

void ClientProcessors::Install(net::ProcessorTable& table, int32_t code, Handler handler) {
  table.Register(code, [this, handler](const net::ConnectionPtr& conn, Command&& request) {
    auto req = std::make_shared<Command>(std::move(request));
    auto ctx = std::make_shared<RequestContext>(RequestContext{conn, conn->id(), conn->peer_address()});
    const uint32_t reply_shard = conn->shard_id();
    auto work = [this, handler, ctx, req] {
      std::optional<Command> response = (this->*handler)(*ctx, *req);
      if (response && !req->is_oneway()) SendOnOwnShard(shards_, ctx->conn, std::move(*response));
    };
    if (reply_shard == kOwnerShard) {
      work();
    } else if (!shards_.SubmitTo(kOwnerShard, work) && !req->is_oneway()) {
      conn->Send(Command::ResponseTo(*req, ResponseCode::kSystemBusy, "[OVERLOAD] broker busy, retry"));
    }
  });
}

void ClientProcessors::RunOnOwner(runtime::Task task) {
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == kOwnerShard) {
    task();
    return;
  }
  if (!shards_.SubmitTo(kOwnerShard, task) && here != nullptr) {
    // Ring full: shard 0 is far behind. Retry shortly rather than lose a removal.
    here->RunAfter(1, [this, task] { RunOnOwner(task); });
  }
}

void ClientProcessors::Start() {
  RunOnOwner([this] {
    if (scan_timer_ != 0) return;
    scan_timer_ = runtime::CurrentShard()->RunEvery(options_.scan_interval_ms, [this] { ScanNotActive(NowMs()); });
  });
}

void ClientProcessors::Stop() {
  RunOnOwner([this] {
    if (scan_timer_ != 0) runtime::CurrentShard()->Cancel(scan_timer_);
    scan_timer_ = 0;
  });
}

void ClientProcessors::OnConnectionClosed(const net::ConnectionPtr& conn) {
  const uint64_t id = conn->id();
  RunOnOwner([this, id] { ConnectionClosed(id); });
}

void ClientProcessors::PublishIfDirty() {
  if (!consumers_.snapshot_dirty()) return;
  auto snapshot = consumers_.BuildSnapshot();
  if (hooks_.publish_subscriptions) hooks_.publish_subscriptions(std::move(snapshot));
}

void ClientProcessors::NotifyConsumerIdsChanged(const std::string& group) {
  if (hooks_.notify_enabled && !hooks_.notify_enabled(group)) return;
  for (const auto& conn : consumers_.ConnectionsOf(group)) {
    // Broker-initiated requests are JSON, oneway (spec 1.3, 3.6), as the captured ones are.
    Command notify = Command::Request(rc::kNotifyConsumerIdsChanged);
    notify.flag = remoting::kFlagOneway;
    notify.opaque = next_opaque_++;
    notify.ext_fields.Set("consumerGroup", group);
    SendOnOwnShard(shards_, conn, std::move(notify));
  }
}

std::optional<Command> ClientProcessors::HeartBeat(const RequestContext& ctx, const Command& req) {
  auto hb = ParseHeartbeat(req.body);
  if (!hb.ok()) {
    MQ_LOG_WARN("bad heartbeat from {}: {}", ctx.peer_address, hb.status().remark());
    return Command::ErrorResponse(req, hb.status());
  }
  const int64_t now = NowMs();
  for (const auto& consumer : hb->consumers) {
    if (hooks_.on_group_seen) hooks_.on_group_seen(consumer.group);
    ConsumerClient client{hb->client_id, ctx.conn, ctx.connection_id, ctx.peer_address, req.language,
                          req.version, now};
    const RegisterOutcome outcome = consumers_.RegisterConsumer(consumer, std::move(client), now);
    if (outcome.new_client) {
      MQ_LOG_INFO("consumer {} joined group {} from {}", hb->client_id, consumer.group, ctx.peer_address);
    }
    if (outcome.notify()) NotifyConsumerIdsChanged(consumer.group);
  }
  for (const auto& group : hb->producer_groups) {
    ProducerClient client{hb->client_id, ctx.conn, ctx.connection_id, ctx.peer_address, req.language,
                          req.version, now};
    producers_.RegisterProducer(group, std::move(client), now);
  }
  PublishIfDirty();
  return Ok(req, false);
}

std::optional<Command> ClientProcessors::UnregisterClient(const RequestContext& ctx, const Command& req) {
  auto client_id = req.ext_fields.GetString("clientID");
  if (!client_id.ok()) return Command::ErrorResponse(req, client_id.status());
  // C++ sends the group it does not mean as "": treat empty like absent.
  if (const std::string* group = req.ext_fields.Find("producerGroup"); group && !group->empty()) {
    producers_.UnregisterProducer(*group, ctx.connection_id);
  }
  if (const std::string* group = req.ext_fields.Find("consumerGroup"); group && !group->empty()) {
    if (consumers_.UnregisterConsumer(*group, *client_id)) {
      MQ_LOG_INFO("consumer {} left group {}", *client_id, *group);
      NotifyConsumerIdsChanged(*group);
    }
  }
  PublishIfDirty();
  return Ok(req, true);
}

std::optional<Command> ClientProcessors::GetConsumerList(const RequestContext&, const Command& req) {
  auto group = req.ext_fields.GetString("consumerGroup");
  if (!group.ok()) return Command::ErrorResponse(req, group.status());
  std::vector<std::string> ids = consumers_.GetConsumerIdList(*group);
  if (ids.empty()) {
    Command resp = Command::ResponseTo(req, ResponseCode::kSystemError, "no consumer for this group, " + *group);
    return resp;
  }
  Command resp = Ok(req, true);
  resp.body = EncodeConsumerIdList(ids);
  return resp;
}

std::optional<Command> ClientProcessors::LockBatch(const RequestContext&, const Command& req) {
  auto body = ParseLockBatchRequest(req.body);
  if (!body.ok()) return Command::ErrorResponse(req, body.status());
  auto locked = locks_.TryLockBatch(body->consumer_group, body->mqs, body->client_id, NowMs());
  Command resp = Ok(req, false);
  resp.body = EncodeLockBatchResponse(locked);
  return resp;
}

std::optional<Command> ClientProcessors::UnlockBatch(const RequestContext&, const Command& req) {
  auto body = ParseLockBatchRequest(req.body);
  if (!body.ok()) return Command::ErrorResponse(req, body.status());
  locks_.UnlockBatch(body->consumer_group, body->mqs, body->client_id);
  return Ok(req, false);
}

std::optional<Command> ClientProcessors::CheckClientConfig(const RequestContext&, const Command& req) {
  auto body = ParseCheckClientConfig(req.body);
  if (!body.ok()) return Command::ErrorResponse(req, body.status());
  if (body->subscription.is_tag_type()) return Ok(req, false);
  // mq has no property filtering yet: answer like a reference broker with enablePropertyFilter off.
  return Command::ResponseTo(req, ResponseCode::kSystemError,
                             "the broker does not support consumer to filter message by " +
                                 body->subscription.expression_type);
}

void ClientProcessors::ConnectionClosed(uint64_t connection_id) {
  std::set<std::string> groups;
  for (auto& removed : consumers_.OnConnectionClosed(connection_id)) {
    MQ_LOG_INFO("consumer {} left group {}: connection closed", removed.client.client_id, removed.group);
    groups.insert(removed.group);
  }
  for (const auto& group : groups) NotifyConsumerIdsChanged(group);
  producers_.OnConnectionClosed(connection_id);
  PublishIfDirty();
}

void ClientProcessors::ScanNotActive(int64_t now_ms) {
  std::set<std::string> groups;
  for (auto& removed : consumers_.ScanNotActive(now_ms, options_.channel_expiry_ms)) {
    MQ_LOG_WARN("consumer {} of group {} expired: no heartbeat for {} ms", removed.client.client_id,
                removed.group, now_ms - removed.client.last_heartbeat_ms);
    groups.insert(removed.group);
    CloseOnOwnShard(shards_, removed.client.connection);
  }
  for (const auto& group : groups) NotifyConsumerIdsChanged(group);
  for (auto& expired : producers_.ScanNotActive(now_ms, options_.channel_expiry_ms)) {
    MQ_LOG_WARN("producer {} expired: no heartbeat for {} ms", expired.client_id,
                now_ms - expired.last_heartbeat_ms);
    CloseOnOwnShard(shards_, expired.connection);
  }
  locks_.PurgeExpired(now_ms);
  PublishIfDirty();
}

}  // namespace mq::broker
