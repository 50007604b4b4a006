// ControlPlane: the broker state that is not per queue. Shard 0 owns the topic table, the
// subscription-group table and the clients (heartbeats, groups, locks); every change is applied
// there, persisted, and published as an immutable snapshot to each shard's replica slot, which the
// request path reads without any synchronisation. Other shards ask for changes with the async
// Ensure*/Call helpers: the work runs on shard 0 and the answer comes back on the caller's shard.
//
// Consumer offsets are per queue: each shard keeps the offsets of the queues it owns (offsets()),
// and shard 0 periodically gathers every shard's part into config/consumerOffset.json.
//
// Files are serialized on shard 0 and written through the JsonFileWriter when one is set, so
// shard 0 never blocks on fsync/rename while it serves requests.
//
// Lifecycle: construct and Load() on the main thread, Start() once the shards run, Stop() from the
// main thread before the shards stop (final persistence happens in PersistAll()).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "broker/broker_config.h"
#include "broker/client/client_processors.h"
#include "broker/metadata/consumer_offset_table.h"
#include "broker/metadata/subscription_group_table.h"
#include "broker/metadata/topic_table.h"
#include "runtime/shard_local.h"
#include "runtime/shard_set.h"

namespace mq::broker {

class ControlPlane {
 public:
  // shard_of maps (topic, queue) to its shard (the store's ShardOf).
  using ShardOfFn = std::function<uint32_t(std::string_view topic, int32_t queue_id)>;
  ControlPlane(const BrokerConfig& config, runtime::ShardSet& shards, ShardOfFn shard_of);
  ~ControlPlane();

  // Main thread, before Start: reads topics.json, subscriptionGroup.json, consumerOffset.json.
  Status Load();
  // Installs the first snapshots on every shard, starts client expiry scans and offset persistence.
  void Start();
  void Stop();
  // Writes every config file (main thread after the shards stopped, or shard 0).
  void PersistAll();
  // Not owned; set before Start (nullptr: every write is synchronous).
  void set_file_writer(JsonFileWriter* writer);

  // ---- any shard: this shard's replicas (valid after Start) ----
  const TopicSnapshot& topics() const;
  const SubscriptionGroupSnapshot& groups() const;
  // Consumer subscriptions from heartbeats; nullptr entries mean "none yet".
  const SubscriptionData* FindSubscription(const std::string& group, const std::string& topic) const;
  // Offsets of the queues this shard owns.
  ConsumerOffsetTable& offsets();

  // ---- any shard: changes run on shard 0, `done` runs back on the calling shard ----
  // The topic for a send (spec 7.2): from the replica when known, else created from the template.
  // created == true means the broker must re-register with the name servers (done here).
  void EnsureTopicForSend(std::string topic, std::string default_topic, int32_t client_queue_nums,
                          int32_t topic_sys_flag, std::function<void(Result<TopicEnsured>)> done);
  void EnsureRetryTopic(std::string group, int32_t queue_nums, std::function<void(Result<TopicEnsured>)> done);
  void EnsureDlqTopic(std::string group, std::function<void(Result<TopicEnsured>)> done);
  void EnsureGroup(std::string group, std::function<void(Result<GroupEnsured>)> done);
  // Generic: run `op` with the tables on shard 0, then `done(result)` on the calling shard. When a
  // ring is full, `done` gets SYSTEM_BUSY without `op` running.
  struct Tables {
    TopicTable& topics;
    SubscriptionGroupTable& groups;
    ClientProcessors& clients;
  };
  void CallOnControl(std::function<Status(Tables&)> op, std::function<void(Status)> done);
  // Shard 0 only: publish new snapshots after a change made through Tables.
  void PublishTopics();
  void PublishGroups();

  // Called on shard 0 when topics changed in a way the name servers must learn (set by the broker).
  void set_on_topics_changed(std::function<void(const std::vector<std::string>& topics)> fn) {
    on_topics_changed_ = std::move(fn);
  }
  ClientProcessors& clients() { return *clients_; }  // shard 0 (and Register/OnConnectionClosed anywhere)
  TopicTable& topic_table() { return topics_; }        // shard 0
  SubscriptionGroupTable& group_table() { return groups_; }  // shard 0
  const BrokerConfig& config() const { return config_; }

 private:
  struct Replica {
    TopicSnapshotPtr topics;
    SubscriptionGroupSnapshotPtr groups;
    std::shared_ptr<const SubscriptionSnapshot> subscriptions;
    std::unique_ptr<ConsumerOffsetTable> offsets;
  };
  template <typename R>
  void RunOnControl(std::function<R()> op, std::function<void(R)> done, std::function<R()> busy);
  void PersistOffsets();  // shard 0: gathers every shard's offsets, then writes the file
  Status WriteFile(const std::string& path, std::string text);

  const BrokerConfig& config_;
  runtime::ShardSet& shards_;
  ShardOfFn shard_of_;
  TopicTable topics_;              // shard 0
  SubscriptionGroupTable groups_;  // shard 0
  std::unique_ptr<ClientProcessors> clients_;
  runtime::ShardLocal<Replica> replicas_;
  std::function<void(const std::vector<std::string>&)> on_topics_changed_;
  runtime::TimerId offsets_timer_ = 0;
  JsonFileWriter* writer_ = nullptr;
};

}  // namespace mq::broker
