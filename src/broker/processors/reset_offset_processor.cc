#include "broker/processors/reset_offset_processor.h"

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "base/log.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/offset_processor.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

// One reset, from the checks on the connection's shard to the answer there.
struct ResetJob {
  std::shared_ptr<const Command> request;
  net::ConnectionPtr conn;
  std::string topic;
  std::string group;
  int64_t timestamp_ms = 0;
  bool force = false;
  bool for_cpp = false;
  // Per write queue: a = committed offset (-1: none), b = the offset after the reset.
  std::vector<QueueRow> rows;
  std::vector<std::pair<net::ConnectionPtr, Command>> notices;  // built on shard 0
};
using ResetJobPtr = std::shared_ptr<ResetJob>;

void Reply(BrokerContext& ctx, const ResetJob& job, Command resp) {
  if (job.request->is_oneway()) return;
  ReplyOnOwnShard(ctx.shards, job.conn, std::move(resp));
}

void ReplyError(BrokerContext& ctx, const ResetJob& job, const Status& st) {
  Reply(ctx, job, Command::ErrorResponse(*job.request, st));
}

Status Busy() { return Status::Error(ResponseCode::kSystemBusy, "[REJECTREQUEST] shard busy, try again later"); }

// Header fields as Java decodes them: declaration order, each @CFNotNull.
Status Parse(const Command& req, ResetJob& job) {
  auto topic = req.ext_fields.GetString("topic");
  if (!topic.ok()) return topic.status();
  auto group = req.ext_fields.GetString("group");
  if (!group.ok()) return group.status();
  auto timestamp = req.ext_fields.GetInt64("timestamp");
  if (!timestamp.ok()) return timestamp.status();
  if (req.ext_fields.Find("isForce") == nullptr) return Status::SystemError("the custom field <isForce> is null");
  job.topic = std::move(topic).value();
  job.group = std::move(group).value();
  job.timestamp_ms = *timestamp;
  job.force = req.ext_fields.GetBoolOr("isForce", false);
  job.for_cpp = req.language == "CPP";
  return Status::Ok();
}

// Step 4 (connection's shard): commit the changed offsets on their shards, tell the clients, answer.
void CommitAndAnswer(BrokerContext& ctx, const ResetJobPtr& job) {
  QueueList changed;
  for (const QueueRow& r : job->rows) {
    if (r.b != r.a) changed.emplace_back(r.topic, r.queue_id);
  }
  std::map<int32_t, int64_t> target;
  for (const QueueRow& r : job->rows) target[r.queue_id] = r.b;
  ControlPlane& control = ctx.control;
  auto targets = std::make_shared<const std::map<int32_t, int64_t>>(std::move(target));
  GatherQueues(
      ctx, changed,
      [&control, job, targets](const std::string& topic, int32_t q) {
        control.offsets().Commit(topic, job->group, q, targets->at(q));
        return QueueRow{topic, q};
      },
      [&ctx, job](std::optional<std::vector<QueueRow>> done) {
        if (!done) return ReplyError(ctx, *job, Busy());
        for (auto& [conn, notice] : job->notices) SendOnOwnShard(ctx.shards, conn, std::move(notice));
        MQ_LOG_INFO("[reset-offset] reset offset success. topic={}, group={}, timestamp={}, clients={}", job->topic,
                    job->group, job->timestamp_ms, job->notices.size());
        Command resp = Command::ResponseTo(*job->request, ResponseCode::kSuccess);
        resp.body = EncodeResetOffsetBody(ctx.config.broker_name, job->rows);
        Reply(ctx, *job, std::move(resp));
      });
}

// Step 3 (shard 0, then back): the group's clients must be online and new enough; their 220s.
void CheckClients(BrokerContext& ctx, const ResetJobPtr& job) {
  Command notice = Command::Request(rc::kResetConsumerClientOffset);
  notice.flag = remoting::kFlagOneway;
  notice.ext_fields.Set("topic", job->topic);
  notice.ext_fields.Set("group", job->group);
  notice.ext_fields.Set("timestamp", std::to_string(job->timestamp_ms));
  notice.ext_fields.Set("isForce", "false");
  notice.body = job->for_cpp ? EncodeResetOffsetBodyForC(ctx.config.broker_name, job->rows)
                             : EncodeResetOffsetBody(ctx.config.broker_name, job->rows);
  auto prototype = std::make_shared<const Command>(std::move(notice));
  ctx.control.CallOnControl(
      [job, prototype](ControlPlane::Tables& t) -> Status {
        const ConsumerGroupInfo* info = t.clients.consumers().FindGroup(job->group);
        if (info == nullptr || info->clients.empty()) {
          return Status::Error(ResponseCode::kConsumerNotOnline,
                               "Consumer not online, so can not reset offset, Group: " + job->group +
                                   " Topic: " + job->topic + " Timestamp: " + std::to_string(job->timestamp_ms));
        }
        // Checked for every client before any is told, so a refusal leaves everything as it was.
        for (const ConsumerClient& c : info->clients) {
          if (c.version < kMinResetOffsetClientVersion) {
            return Status::SystemError("the client does not support this feature. version=" +
                                       OldClientVersionName(c.version));
          }
        }
        for (const ConsumerClient& c : info->clients) {
          if (!c.connection) continue;
          Command n = *prototype;
          n.opaque = t.clients.NextRequestOpaque();
          job->notices.emplace_back(c.connection, std::move(n));
        }
        return Status::Ok();
      },
      [&ctx, job](Status st) {
        if (!st.ok()) {
          MQ_LOG_WARN("[reset-offset] topic={}, group={}: {}", job->topic, job->group, st.remark());
          return ReplyError(ctx, *job, st);
        }
        CommitAndAnswer(ctx, job);
      });
}

void HandleReset(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  auto job = std::make_shared<ResetJob>();
  job->request = std::make_shared<const Command>(std::move(request));
  job->conn = conn;
  if (Status st = Parse(*job->request, *job); !st.ok()) return ReplyError(ctx, *job, st);
  MQ_LOG_INFO("[reset-offset] reset offset started by {}. topic={}, group={}, timestamp={}, isForce={}",
              conn->peer_address(), job->topic, job->group, job->timestamp_ms, job->force);
  const TopicConfig* config = ctx.control.topics().Find(job->topic);
  if (config == nullptr) {
    return ReplyError(ctx, *job, Status::SystemError("[reset-offset] reset offset failed, no topic in this broker. topic=" +
                                                     job->topic));
  }
  QueueList queues;
  for (int32_t q = 0; q < config->write_queue_nums; ++q) queues.emplace_back(job->topic, q);
  // Step 2 (each queue's shard): committed offset and the offset for the timestamp.
  store::MessageStore& store = ctx.store;
  ControlPlane& control = ctx.control;
  GatherQueues(
      ctx, queues,
      [&store, &control, job](const std::string& topic, int32_t q) {
        QueueRow r{topic, q};
        r.a = control.offsets().Query(topic, job->group, q).value_or(-1);
        r.b = job->timestamp_ms == -1 ? store.MaxOffset(topic, q)
                                      : SearchOffsetByTimestamp(store, topic, q, job->timestamp_ms);
        if (r.b < 0) r.b = 0;
        return r;
      },
      [&ctx, job](std::optional<std::vector<QueueRow>> rows) {
        if (!rows) return ReplyError(ctx, *job, Busy());
        for (QueueRow& r : *rows) {
          if (r.a == -1) return ReplyError(ctx, *job, Status::SystemError("THe consumer group <" + job->group + "> not exist"));
          if (!job->force && r.b >= r.a) r.b = r.a;  // only ever moved back unless forced
        }
        job->rows = std::move(rows).value();
        CheckClients(ctx, job);
      });
}

}  // namespace

std::string EncodeResetOffsetBody(const std::string& broker_name, const std::vector<QueueRow>& rows) {
  std::string out = "{\"offsetTable\":{";
  bool first = true;
  for (const QueueRow& r : rows) {
    if (!first) out += ',';
    first = false;
    AppendMessageQueueKey(out, broker_name, r.topic, r.queue_id);
    out += ':' + std::to_string(r.b);
  }
  out += "}}";
  return out;
}

std::string EncodeResetOffsetBodyForC(const std::string& broker_name, const std::vector<QueueRow>& rows) {
  std::string out = "{\"offsetTable\":[";
  bool first = true;
  for (const QueueRow& r : rows) {
    if (!first) out += ',';
    first = false;
    out += "{\"brokerName\":";
    remoting::AppendJsonString(out, broker_name);
    out += ",\"offset\":" + std::to_string(r.b) + ",\"queueId\":" + std::to_string(r.queue_id) + ",\"topic\":";
    remoting::AppendJsonString(out, r.topic);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string OldClientVersionName(int32_t ordinal) {
  static constexpr std::array<const char*, kMinResetOffsetClientVersion> kNames = {
      "V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1", "V3_0_0_BETA1",          "V3_0_0_BETA2", "V3_0_0_BETA3",
      "V3_0_0_BETA4",    "V3_0_0_BETA5",  "V3_0_0_BETA6_SNAPSHOT", "V3_0_0_BETA6", "V3_0_0_BETA7_SNAPSHOT",
      "V3_0_0_BETA7",    "V3_0_0_BETA8_SNAPSHOT", "V3_0_0_BETA8",  "V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9",
      "V3_0_0_FINAL",    "V3_0_1_SNAPSHOT", "V3_0_1",              "V3_0_2_SNAPSHOT", "V3_0_2",
      "V3_0_3_SNAPSHOT", "V3_0_3",        "V3_0_4_SNAPSHOT",       "V3_0_4",       "V3_0_5_SNAPSHOT",
      "V3_0_5",          "V3_0_6_SNAPSHOT", "V3_0_6"};
  if (ordinal < 0 || ordinal >= kMinResetOffsetClientVersion) return std::to_string(ordinal);
  return kNames[static_cast<size_t>(ordinal)];
}

void RegisterResetOffsetProcessor(BrokerContext& ctx, net::ProcessorTable& table) {
  table.Register(rc::kInvokeBrokerToResetOffset, [&ctx](const net::ConnectionPtr& conn, Command&& req) {
    HandleReset(ctx, conn, std::move(req));
  });
}

}  // namespace mq::broker
