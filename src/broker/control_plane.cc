#include "broker/control_plane.h"

#include <memory>

#include "base/log.h"
#include "broker/metadata/json_file.h"

namespace mq::broker {
namespace {

constexpr uint32_t kControlShard = 0;

bool OnControlShard() {
  runtime::Shard* here = runtime::CurrentShard();
  return here != nullptr && here->id() == kControlShard;
}

}  // namespace

ControlPlane::ControlPlane(const BrokerConfig& config, runtime::ShardSet& shards, ShardOfFn shard_of)
    : config_(config),
      shards_(shards),
      shard_of_(std::move(shard_of)),
      topics_(config, TopicsJsonPath(config.store_path_root_dir)),
      groups_(config, SubscriptionGroupJsonPath(config.store_path_root_dir)),
      replicas_(shards.size()) {
  ClientOptions client_options;
  client_options.channel_expiry_ms = config.server_channel_max_idle_time_s * 1000;
  ClientHooks hooks;
  hooks.notify_enabled = [this](const std::string& group) {
    if (!config_.notify_consumer_ids_changed_enable) return false;
    const SubscriptionGroupConfig* g = groups_.Find(group);
    return g == nullptr || g->notify_consumer_ids_changed_enable;
  };
  hooks.on_group_seen = [this](const std::string& group) {
    // A consumer group heartbeats: its subscription group and %RETRY% topic exist from now on.
    auto ensured = groups_.FindOrAutoCreate(group);
    if (!ensured.ok()) return;
    if (ensured->created) PublishGroups();
    auto retry = topics_.CreateRetryTopicIfAbsent(group, ensured->config.retry_queue_nums);
    if (retry.ok() && retry->created) {
      PublishTopics();
      if (on_topics_changed_) on_topics_changed_({retry->config.topic_name});
    }
  };
  hooks.publish_subscriptions = [this](std::shared_ptr<const SubscriptionSnapshot> snapshot) {
    runtime::Broadcast(shards_, [this, snapshot](uint32_t shard) { replicas_.At(shard).subscriptions = snapshot; });
  };
  clients_ = std::make_unique<ClientProcessors>(shards, client_options, std::move(hooks));
  for (uint32_t i = 0; i < replicas_.size(); ++i) replicas_.At(i).offsets = std::make_unique<ConsumerOffsetTable>();
}

ControlPlane::~ControlPlane() = default;

Status ControlPlane::Load() {
  if (auto st = topics_.Load(); !st.ok()) return st;
  if (auto st = groups_.Load(); !st.ok()) return st;
  if (auto text = LoadJsonFile(ConsumerOffsetJsonPath(config_.store_path_root_dir))) {
    auto parts = ConsumerOffsetTable::Decode(*text, replicas_.size(), shard_of_);
    if (!parts.ok()) return parts.status();
    for (uint32_t i = 0; i < replicas_.size(); ++i) replicas_.At(i).offsets->Import((*parts)[i]);
  }
  // The first snapshots are installed before the shards serve, so no replica is ever empty.
  for (uint32_t i = 0; i < replicas_.size(); ++i) {
    replicas_.At(i).topics = topics_.snapshot();
    replicas_.At(i).groups = groups_.snapshot();
  }
  return Status::Ok();
}

void ControlPlane::Start() {
  clients_->Start();
  shards_.SubmitTo(kControlShard, [this] {
    offsets_timer_ = runtime::CurrentShard()->RunEvery(
        static_cast<uint64_t>(std::max<int64_t>(config_.flush_consumer_offset_interval_ms, 100)), [this] { PersistOffsets(); });
  });
}

void ControlPlane::Stop() { clients_->Stop(); }

void ControlPlane::set_file_writer(JsonFileWriter* writer) {
  writer_ = writer;
  topics_.set_file_writer(writer);
  groups_.set_file_writer(writer);
}

Status ControlPlane::WriteFile(const std::string& path, std::string text) {
  if (writer_ != nullptr) return writer_->Write(path, std::move(text));
  return PersistJsonFile(path, text);
}

void ControlPlane::PersistAll() {
  if (auto st = topics_.Persist(); !st.ok()) MQ_LOG_ERROR("persist topics: {}", st.ToString());
  if (auto st = groups_.Persist(); !st.ok()) MQ_LOG_ERROR("persist subscription groups: {}", st.ToString());
  std::vector<OffsetMap> parts;
  for (uint32_t i = 0; i < replicas_.size(); ++i) parts.push_back(replicas_.At(i).offsets->Export());
  if (auto st = WriteFile(ConsumerOffsetJsonPath(config_.store_path_root_dir), ConsumerOffsetTable::Encode(parts));
      !st.ok()) {
    MQ_LOG_ERROR("persist consumer offsets: {}", st.ToString());
  }
}

void ControlPlane::PersistOffsets() {
  // Gather each shard's part with a task on that shard, then write once all parts are back here.
  struct Gather {
    std::vector<OffsetMap> parts;
    uint32_t missing = 0;
  };
  auto gather = std::make_shared<Gather>();
  gather->parts.resize(replicas_.size());
  gather->missing = replicas_.size();
  for (uint32_t shard = 0; shard < replicas_.size(); ++shard) {
    auto collect = [this, gather, shard] {
      auto part = std::make_shared<OffsetMap>(replicas_.At(shard).offsets->Export());
      auto deliver = [this, gather, shard, part] {
        gather->parts[shard] = std::move(*part);
        if (--gather->missing != 0) return;
        std::string text = ConsumerOffsetTable::Encode(gather->parts);
        if (auto st = WriteFile(ConsumerOffsetJsonPath(config_.store_path_root_dir), std::move(text)); !st.ok()) {
          MQ_LOG_ERROR("persist consumer offsets: {}", st.ToString());
        }
      };
      if (shard == kControlShard) {
        deliver();
      } else if (!shards_.SubmitTo(kControlShard, deliver)) {
        MQ_LOG_WARN("consumer offsets: shard {} could not report back; next round", shard);
      }
    };
    if (shard == kControlShard) {
      collect();
    } else if (!shards_.SubmitTo(shard, collect)) {
      MQ_LOG_WARN("consumer offsets: shard {} busy; next round", shard);
    }
  }
}

const TopicSnapshot& ControlPlane::topics() const {
  const auto& snap = const_cast<runtime::ShardLocal<Replica>&>(replicas_).Get().topics;
  MQ_ASSERT(snap != nullptr);
  return *snap;
}

const SubscriptionGroupSnapshot& ControlPlane::groups() const {
  const auto& snap = const_cast<runtime::ShardLocal<Replica>&>(replicas_).Get().groups;
  MQ_ASSERT(snap != nullptr);
  return *snap;
}

const SubscriptionData* ControlPlane::FindSubscription(const std::string& group, const std::string& topic) const {
  const auto& snap = const_cast<runtime::ShardLocal<Replica>&>(replicas_).Get().subscriptions;
  return snap ? snap->Find(group, topic) : nullptr;
}

ConsumerOffsetTable& ControlPlane::offsets() { return *replicas_.Get().offsets; }

void ControlPlane::PublishTopics() {
  MQ_ASSERT(OnControlShard() || runtime::CurrentShard() == nullptr);
  if (auto st = topics_.Persist(); !st.ok()) MQ_LOG_ERROR("persist topics: {}", st.ToString());
  TopicSnapshotPtr snap = topics_.snapshot();
  runtime::Broadcast(shards_, [this, snap](uint32_t shard) { replicas_.At(shard).topics = snap; });
}

void ControlPlane::PublishGroups() {
  MQ_ASSERT(OnControlShard() || runtime::CurrentShard() == nullptr);
  if (auto st = groups_.Persist(); !st.ok()) MQ_LOG_ERROR("persist subscription groups: {}", st.ToString());
  SubscriptionGroupSnapshotPtr snap = groups_.snapshot();
  runtime::Broadcast(shards_, [this, snap](uint32_t shard) { replicas_.At(shard).groups = snap; });
}

template <typename R>
void ControlPlane::RunOnControl(std::function<R()> op, std::function<void(R)> done, std::function<R()> busy) {
  runtime::Shard* here = runtime::CurrentShard();
  if (here == nullptr || here->id() == kControlShard) {
    done(op());
    return;
  }
  const uint32_t back = here->id();
  auto task = [this, op, done, back] {
    auto result = std::make_shared<R>(op());
    // The caller's ring from shard 0 was just used to reach us, so a full ring here is rare;
    // losing the answer would hang the request, so fall back to a short retry loop.
    std::function<void()> reply = [done, result] { done(std::move(*result)); };
    if (!shards_.SubmitTo(back, reply)) {
      runtime::CurrentShard()->RunAfter(1, [this, back, reply] {
        if (!shards_.SubmitTo(back, reply)) MQ_LOG_ERROR("control plane: answer to shard {} lost (ring full)", back);
      });
    }
  };
  if (!shards_.SubmitTo(kControlShard, task)) done(busy());
}

namespace {

Status Busy() { return Status::Error(ResponseCode::kSystemBusy, "[REJECTREQUEST] broker control shard busy, try again"); }

}  // namespace

void ControlPlane::EnsureTopicForSend(std::string topic, std::string default_topic, int32_t client_queue_nums,
                                      int32_t topic_sys_flag, std::function<void(Result<TopicEnsured>)> done) {
  if (const TopicConfig* known = topics().Find(topic)) {
    done(TopicEnsured{*known, false});
    return;
  }
  RunOnControl<Result<TopicEnsured>>(
      [this, topic, default_topic, client_queue_nums, topic_sys_flag]() -> Result<TopicEnsured> {
        auto ensured = topics_.CreateForSend(topic, default_topic, client_queue_nums, topic_sys_flag);
        if (ensured.ok() && ensured->created) {
          MQ_LOG_INFO("topic {} auto-created from {} with {} queues", topic, default_topic,
                      ensured->config.write_queue_nums);
          PublishTopics();
          if (on_topics_changed_) on_topics_changed_({topic});
        }
        return ensured;
      },
      std::move(done), [] { return Result<TopicEnsured>(Busy()); });
}

void ControlPlane::EnsureRetryTopic(std::string group, int32_t queue_nums, std::function<void(Result<TopicEnsured>)> done) {
  RunOnControl<Result<TopicEnsured>>(
      [this, group, queue_nums]() -> Result<TopicEnsured> {
        auto ensured = topics_.CreateRetryTopicIfAbsent(group, queue_nums);
        if (ensured.ok() && ensured->created) {
          PublishTopics();
          if (on_topics_changed_) on_topics_changed_({ensured->config.topic_name});
        }
        return ensured;
      },
      std::move(done), [] { return Result<TopicEnsured>(Busy()); });
}

void ControlPlane::EnsureDlqTopic(std::string group, std::function<void(Result<TopicEnsured>)> done) {
  RunOnControl<Result<TopicEnsured>>(
      [this, group]() -> Result<TopicEnsured> {
        auto ensured = topics_.CreateDlqTopicIfAbsent(group);
        if (ensured.ok() && ensured->created) {
          PublishTopics();
          if (on_topics_changed_) on_topics_changed_({ensured->config.topic_name});
        }
        return ensured;
      },
      std::move(done), [] { return Result<TopicEnsured>(Busy()); });
}

void ControlPlane::EnsureGroup(std::string group, std::function<void(Result<GroupEnsured>)> done) {
  if (const SubscriptionGroupConfig* known = groups().Find(group)) {
    done(GroupEnsured{*known, false});
    return;
  }
  RunOnControl<Result<GroupEnsured>>(
      [this, group]() -> Result<GroupEnsured> {
        auto ensured = groups_.FindOrAutoCreate(group);
        if (ensured.ok() && ensured->created) PublishGroups();
        return ensured;
      },
      std::move(done), [] { return Result<GroupEnsured>(Busy()); });
}

void ControlPlane::CallOnControl(std::function<Status(Tables&)> op, std::function<void(Status)> done) {
  RunOnControl<Status>(
      [this, op]() {
        Tables tables{topics_, groups_, *clients_};
        return op(tables);
      },
      std::move(done), [] { return Busy(); });
}

}  // namespace mq::broker
