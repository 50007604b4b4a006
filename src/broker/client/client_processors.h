// Client and consumer-group requests: HEART_BEAT (34), UNREGISTER_CLIENT (35),
// GET_CONSUMER_LIST_BY_GROUP (38), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42), CHECK_CLIENT_CONFIG (46),
// and the broker-initiated NOTIFY_CONSUMER_IDS_CHANGED (40).
//
// All state (ConsumerManager, ProducerManager, LockManager) is owned by shard 0. Register() installs
// handlers that forward each request from the connection's shard to shard 0 and bring the answer
// back; a connection is only ever used on its own shard (SendOnOwnShard). Group configuration is
// not ours: it comes in through ClientHooks. The object must outlive the shards' loops (stop and
// join the ShardSet before destroying it).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "broker/client/consumer_manager.h"
#include "broker/client/lock_manager.h"
#include "broker/client/producer_manager.h"
#include "net/processor_table.h"
#include "runtime/shard_set.h"

namespace mq::broker {

// Sends `command` on its connection's shard: at once when called there, else as a task. Dropped
// (with a warning) when that shard's ring is full: everything sent this way is best effort.
void SendOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, remoting::Command command);
// Closes the connection on its own shard.
void CloseOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn);

struct ClientHooks {
  // Whether a membership change of `group` is announced (broker notifyConsumerIdsChangedEnable and
  // the group's own flag). Unset: always.
  std::function<bool(const std::string& group)> notify_enabled;
  // A consumer group sent a heartbeat: the metadata owner may auto-create its subscription group
  // and %RETRY% topic. Unset: nothing.
  std::function<void(const std::string& group)> on_group_seen;
  // A new subscription snapshot, for the pull path on every shard. Unset: nothing.
  std::function<void(std::shared_ptr<const SubscriptionSnapshot>)> publish_subscriptions;
};

struct ClientOptions {
  int64_t channel_expiry_ms = 120000;  // a client silent this long is dropped (spec 7.4)
  uint64_t scan_interval_ms = 10000;
  int64_t lock_expiry_ms = kLockExpiryMs;
};

// What a handler knows about the requesting connection, captured on the connection's own shard.
struct RequestContext {
  net::ConnectionPtr conn;
  uint64_t connection_id = 0;
  std::string peer_address;
};

class ClientProcessors {
 public:
  static constexpr uint32_t kOwnerShard = 0;

  ClientProcessors(runtime::ShardSet& shards, ClientOptions options = {}, ClientHooks hooks = {});

  // Installs the forwarding handlers for 34, 35, 38, 41, 42, 46.
  void Register(net::ProcessorTable& table);
  // Starts the expiry scan on shard 0 (every scan_interval_ms); Stop() cancels it. Any thread.
  void Start();
  void Stop();
  // Wire to the server's on_close hook. Any shard (call it on the connection's shard).
  void OnConnectionClosed(const net::ConnectionPtr& conn);
  // Runs `task` on shard 0 (now, if already there).
  void RunOnOwner(runtime::Task task);

  // ---- shard 0 only ----
  std::optional<remoting::Command> HeartBeat(const RequestContext& ctx, const remoting::Command& req);
  std::optional<remoting::Command> UnregisterClient(const RequestContext& ctx, const remoting::Command& req);
  std::optional<remoting::Command> GetConsumerList(const RequestContext& ctx, const remoting::Command& req);
  std::optional<remoting::Command> LockBatch(const RequestContext& ctx, const remoting::Command& req);
  std::optional<remoting::Command> UnlockBatch(const RequestContext& ctx, const remoting::Command& req);
  std::optional<remoting::Command> CheckClientConfig(const RequestContext& ctx, const remoting::Command& req);
  void ConnectionClosed(uint64_t connection_id);
  // Drops silent clients (closing their connections), announces the groups, purges dead locks.
  void ScanNotActive(int64_t now_ms);
  // Sends NOTIFY_CONSUMER_IDS_CHANGED to every connection of the group, if enabled for it.
  void NotifyConsumerIdsChanged(const std::string& group);
  // The opaque for the next broker-initiated request (NOTIFY_CONSUMER_IDS_CHANGED, RESET_CONSUMER_CLIENT_OFFSET).
  int32_t NextRequestOpaque() { return next_opaque_++; }

  ConsumerManager& consumers() { return consumers_; }
  ProducerManager& producers() { return producers_; }
  LockManager& locks() { return locks_; }

 private:
  using Handler = std::optional<remoting::Command> (ClientProcessors::*)(const RequestContext&,
                                                                         const remoting::Command&);
  void Install(net::ProcessorTable& table, int32_t code, Handler handler);
  void PublishIfDirty();

  runtime::ShardSet& shards_;
  ClientOptions options_;
  ClientHooks hooks_;
  ConsumerManager consumers_;
  ProducerManager producers_;
  LockManager locks_;
  int32_t next_opaque_ = 0;      // opaques of broker-initiated requests
  runtime::TimerId scan_timer_ = 0;
};

}  // namespace mq::broker
