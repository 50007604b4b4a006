#include "broker/processors/pull_processor.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "base/log.h"
#include "broker/client/heartbeat.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/group_get_stats.h"
#include "broker/processors/long_poll.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;

// How many frontier scans one wake-up may do when every scanned entry was filtered out.
constexpr int kMaxScansPerWakeUp = 8;

// One pull, from the checks on the connection's shard to its answer on the queue's shard.
struct PullJob {
  BrokerContext* ctx = nullptr;
  PullCounters counters;
  net::ConnectionPtr conn;
  Command request;  // header only: opaque, serialize type, flags of the answer
  std::string group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t offset = 0;  // the request's offset; after a filtered-out wake-up, the scan frontier
  int64_t request_offset = 0;
  uint32_t max_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_ms = 0;
  int64_t sub_version = 0;
  int64_t suggest_broker_id = 0;
  store::TagsCodeFilter filter;  // null: everything matches
};
using PullJobPtr = std::shared_ptr<PullJob>;

void ReplyError(BrokerContext& ctx, const PullJob& job, ResponseCode code, std::string remark) {
  ReplyOnOwnShard(ctx.shards, job.conn, Command::ResponseTo(job.request, code, std::move(remark)));
}

struct Mapped {
  ResponseCode code;
  int64_t next_begin_offset;
};

// Spec 4.3. "(master)" corrections become the requested offset on a slave without
// offsetCheckInSlave, and OFFSET_MOVED becomes RETRY_IMMEDIATELY there.
Mapped MapStatus(const BrokerConfig& config, const store::GetResult& r, int64_t req) {
  const bool correct = config.IsMaster() || config.offset_check_in_slave;
  Mapped m{ResponseCode::kSuccess, r.next_begin_offset};
  switch (r.status) {
    case store::GetStatus::kFound: break;
    case store::GetStatus::kNoMatchedMessage:
    case store::GetStatus::kMessageWasRemoving: m.code = ResponseCode::kPullRetryImmediately; break;
    case store::GetStatus::kNoMessageInQueue:
      m.code = req != 0 ? ResponseCode::kPullOffsetMoved : ResponseCode::kPullNotFound;
      m.next_begin_offset = correct ? 0 : req;
      break;
    case store::GetStatus::kOffsetTooSmall:
    case store::GetStatus::kOffsetOverflowBadly:
      m.code = ResponseCode::kPullOffsetMoved;
      if (!correct) m.next_begin_offset = req;
      break;
    case store::GetStatus::kOffsetOverflowOne:
      m.code = ResponseCode::kPullNotFound;
      m.next_begin_offset = req;
      break;
    case store::GetStatus::kOffsetFoundNull:
      m.code = ResponseCode::kPullNotFound;
      if (!correct) m.next_begin_offset = req;
      break;
  }
  if (!correct && m.code == ResponseCode::kPullOffsetMoved) m.code = ResponseCode::kPullRetryImmediately;
  return m;
}

void Answer(const PullJob& job, const Mapped& m, store::GetResult& r) {
  Command resp = Command::ResponseTo(job.request, m.code, std::string(store::GetStatusName(r.status)));
  // The captured broker's member order, which differs between the two header encodings.
  resp.ext_fields.Set("suggestWhichBrokerId", std::to_string(job.suggest_broker_id));
  resp.ext_fields.Set("nextBeginOffset", std::to_string(m.next_begin_offset));
  if (resp.serialize_type == remoting::SerializeType::kJson) {
    resp.ext_fields.Set("maxOffset", std::to_string(r.max_offset));
    resp.ext_fields.Set("minOffset", std::to_string(r.min_offset));
  } else {
    resp.ext_fields.Set("minOffset", std::to_string(r.min_offset));
    resp.ext_fields.Set("maxOffset", std::to_string(r.max_offset));
  }
  std::vector<net::BodySlice> body;
  if (m.code == ResponseCode::kSuccess) {
    const uint64_t found = r.messages.size();
    if (job.counters.broker != nullptr) job.counters.broker->AddGot(found);
    if (job.counters.group_gets != nullptr) job.counters.group_gets->Add(job.group, job.topic, found);
    body = ToBodySlices(std::move(r.messages));
  }
  ReplyWithBodyOnOwnShard(job.ctx->shards, job.conn, std::move(resp), std::move(body));
}

uint64_t HoldTimeMs(const BrokerConfig& config, int64_t suspend_timeout_ms) {
  if (!config.long_polling_enable) return static_cast<uint64_t>(std::max<int64_t>(1, config.short_polling_time_ms));
  const int64_t asked = suspend_timeout_ms > 0 ? suspend_timeout_ms : kDefaultSuspendTimeoutMs;
  return static_cast<uint64_t>(std::min(asked, kMaxSuspendTimeoutMs));
}

LongPollService::RerunOutcome Execute(const PullJobPtr& job, bool first_run, bool last_chance);

// Queue's shard.
LongPollService::RerunOutcome Execute(const PullJobPtr& job, bool first_run, bool last_chance) {
  BrokerContext& ctx = *job->ctx;
  store::GetResult r = ctx.store.Get(job->topic, job->queue_id, job->offset, job->max_nums, job->filter);
  // A wake-up scans on past entries the filter rejected, so later wake-ups start at the frontier.
  for (int scans = 1; !first_run && r.status == store::GetStatus::kNoMatchedMessage && scans < kMaxScansPerWakeUp &&
                      r.next_begin_offset < r.max_offset;
       ++scans) {
    job->offset = r.next_begin_offset;
    r = ctx.store.Get(job->topic, job->queue_id, job->offset, job->max_nums, job->filter);
  }
  if (first_run && (job->sys_flag & kPullFlagCommitOffset) != 0 && ctx.config.IsMaster() && job->commit_offset >= 0) {
    ctx.control.offsets().Commit(job->topic, job->group, job->queue_id, job->commit_offset);
  }
  Mapped m = MapStatus(ctx.config, r, job->offset);
  const bool nothing = m.code == ResponseCode::kPullNotFound || r.status == store::GetStatus::kNoMatchedMessage;
  if (first_run && m.code == ResponseCode::kPullNotFound && (job->sys_flag & kPullFlagSuspend) != 0 &&
      ctx.long_poll != nullptr) {
    const uint64_t hold_ms = HoldTimeMs(ctx.config, job->suspend_timeout_ms);
    if (ctx.long_poll->Hold(job->topic, job->queue_id, job->offset, hold_ms,
                            [job](bool last) { return Execute(job, false, last); })) {
      return {false, job->offset};
    }
  }
  if (!first_run && !last_chance && nothing) {
    if (r.status == store::GetStatus::kNoMatchedMessage) job->offset = r.next_begin_offset;
    return {false, job->offset};
  }
  Answer(*job, m, r);
  return {true, 0};
}

// Connection's shard: topic, queue and subscription checks, then the read on the queue's shard.
void ContinueAfterGroup(const PullJobPtr& job, const Command& request) {
  BrokerContext& ctx = *job->ctx;
  const TopicConfig* topic = ctx.control.topics().Find(job->topic);
  if (topic == nullptr) {
    return ReplyError(ctx, *job, ResponseCode::kTopicNotExist,
                      "topic[" + job->topic + "] not exist, apply first please!");
  }
  if (!IsReadable(topic->perm)) {
    return ReplyError(ctx, *job, ResponseCode::kNoPermission,
                      "the topic[" + job->topic + "] pulling message is forbidden");
  }
  if (job->queue_id < 0 || job->queue_id >= topic->read_queue_nums) {
    return ReplyError(ctx, *job, ResponseCode::kSystemError,
                      "queueId[" + std::to_string(job->queue_id) + "] is illegal, topic:[" + job->topic +
                          "] topicConfig.readQueueNums:[" + std::to_string(topic->read_queue_nums) +
                          "] consumer:[" + job->conn->peer_address() + "]");
  }
  std::shared_ptr<const SubscriptionData> sub;
  if ((job->sys_flag & kPullFlagSubscription) != 0) {
    const std::string* expr = request.ext_fields.Find("subscription");
    const std::string* type = request.ext_fields.Find("expressionType");
    auto parsed = ParseSubscription(job->topic, expr ? *expr : "", type ? *type : "");
    if (!parsed.ok()) {
      return ReplyError(ctx, *job, ResponseCode::kSubscriptionParseFailed,
                        "parse the consumer's subscription failed: " + parsed.status().remark());
    }
    sub = std::make_shared<const SubscriptionData>(std::move(parsed).value());
  } else {
    const SubscriptionData* found = ctx.control.FindSubscription(job->group, job->topic);
    if (found == nullptr) {
      return ReplyError(ctx, *job, ResponseCode::kSubscriptionNotExist, "the consumer's subscription not exist");
    }
    if (found->sub_version < job->sub_version) {
      return ReplyError(ctx, *job, ResponseCode::kSubscriptionNotLatest, "the consumer's subscription not latest");
    }
    sub = std::make_shared<const SubscriptionData>(*found);
  }
  if (!sub->is_tag_type()) {
    return ReplyError(ctx, *job, ResponseCode::kSystemError,
                      ctx.config.enable_property_filter
                          ? "expression type " + sub->expression_type + " is not supported by this broker"
                          : "The broker does not support consumer to filter message by " + sub->expression_type);
  }
  if ((job->sys_flag & kPullFlagClassFilter) == 0 && !sub->class_filter_mode && !sub->subscribes_all()) {
    job->filter = [sub](int64_t tags_code) { return MatchesTagsCode(*sub, tags_code); };
  }
  const uint32_t queue_shard = ctx.store.ShardOf(job->topic, job->queue_id);
  if (!RunOn(ctx.shards, queue_shard, [job] { Execute(job, true, false); })) {
    ReplyError(ctx, *job, ResponseCode::kSystemBusy, "[OVERLOAD] broker busy, retry");
  }
}

Result<PullJobPtr> ParsePull(BrokerContext& ctx, const net::ConnectionPtr& conn, const Command& request) {
  const remoting::ExtFields& f = request.ext_fields;
  auto job = std::make_shared<PullJob>();
  job->ctx = &ctx;
  job->conn = conn;
  auto group = f.GetString("consumerGroup");
  if (!group.ok()) return group.status();
  auto topic = f.GetString("topic");
  if (!topic.ok()) return topic.status();
  auto queue_id = f.GetInt32("queueId");
  if (!queue_id.ok()) return queue_id.status();
  auto offset = f.GetInt64("queueOffset");
  if (!offset.ok()) return offset.status();
  auto max_nums = f.GetInt32Or("maxMsgNums", 32);
  if (!max_nums.ok()) return max_nums.status();
  auto sys_flag = f.GetInt32Or("sysFlag", 0);
  if (!sys_flag.ok()) return sys_flag.status();
  auto commit = f.GetInt64Or("commitOffset", -1);
  if (!commit.ok()) return commit.status();
  auto suspend = f.GetInt64Or("suspendTimeoutMillis", 0);
  if (!suspend.ok()) return suspend.status();
  auto sub_version = f.GetInt64Or("subVersion", 0);
  if (!sub_version.ok()) return sub_version.status();
  job->group = std::move(group).value();
  job->topic = std::move(topic).value();
  job->queue_id = *queue_id;
  job->offset = job->request_offset = *offset;
  job->max_nums = static_cast<uint32_t>(std::clamp(*max_nums, 1, kMaxPullBatch));
  job->sys_flag = *sys_flag;
  job->commit_offset = *commit;
  job->suspend_timeout_ms = *suspend;
  job->sub_version = *sub_version;
  job->request.code = request.code;
  job->request.opaque = request.opaque;
  job->request.flag = request.flag;
  job->request.serialize_type = request.serialize_type;
  job->request.language = request.language;
  job->request.version = request.version;
  return job;
}

}  // namespace

std::vector<net::BodySlice> ToBodySlices(std::vector<store::Slice> slices) {
  std::vector<net::BodySlice> out;
  out.reserve(slices.size());
  for (store::Slice& s : slices) out.push_back(net::BodySlice{s.data, s.size_bytes, std::move(s.segment)});
  return out;
}

void ReplyWithBodyOnOwnShard(runtime::ShardSet& shards, const net::ConnectionPtr& conn, Command header,
                             std::vector<net::BodySlice> body) {
  runtime::Shard* here = runtime::CurrentShard();
  if (here != nullptr && here->id() == conn->shard_id()) {
    conn->SendWithBody(header, std::move(body));
    return;
  }
  auto payload = std::make_shared<std::pair<Command, std::vector<net::BodySlice>>>(std::move(header), std::move(body));
  if (!shards.SubmitTo(conn->shard_id(), [conn, payload] { conn->SendWithBody(payload->first, std::move(payload->second)); })) {
    MQ_LOG_WARN("dropping a response to {}: shard {} ring full", conn->peer_address(), conn->shard_id());
  }
}

void HandlePullMessage(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request, PullCounters counters) {
  if (request.is_oneway()) return;  // a pull always wants an answer; a oneway one gets none
  if (!IsReadable(static_cast<int32_t>(ctx.config.broker_permission))) {
    conn->Send(Command::ResponseTo(request, ResponseCode::kNoPermission,
                                   "the broker[" + ctx.store_host + "] pulling message is forbidden"));
    return;
  }
  auto parsed = ParsePull(ctx, conn, request);
  if (!parsed.ok()) {
    conn->Send(Command::ErrorResponse(request, parsed.status()));
    return;
  }
  PullJobPtr job = std::move(parsed).value();
  job->counters = counters;
  auto after_group = [job, request = std::make_shared<Command>(std::move(request))](Result<GroupEnsured> group) {
    if (!group.ok()) return ReplyError(*job->ctx, *job, group.status().code(), group.status().remark());
    if (!group->config.consume_enable) {
      return ReplyError(*job->ctx, *job, ResponseCode::kNoPermission,
                        "subscription group no permission, " + job->group);
    }
    job->suggest_broker_id = job->ctx->config.slave_read_enable ? group->config.broker_id : 0;
    ContinueAfterGroup(job, *request);
  };
  if (const SubscriptionGroupConfig* known = ctx.control.groups().Find(job->group)) {
    after_group(GroupEnsured{*known, false});
  } else {
    ctx.control.EnsureGroup(job->group, after_group);
  }
}

void RegisterPullProcessors(BrokerContext& ctx, net::ProcessorTable& table, PullCounters counters) {
  table.Register(remoting::RequestCode::kPullMessage,
                 [&ctx, counters](const net::ConnectionPtr& conn, Command&& request) {
                   HandlePullMessage(ctx, conn, std::move(request), counters);
                 });
}

}  // namespace mq::broker
