#include "broker/processors/send_processor.h"

#include <memory>
#include <unordered_map>

#include "base/log.h"
#include "broker/metadata/json_file.h"
#include "broker/processors/message_builder.h"
#include "model/message_id.h"
#include "remoting/request_code.h"
#include "runtime/shard_local.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

constexpr const char* kRejectRemark = "[REJECTREQUEST]system busy, start flow control for a while";

std::string HowToCreate(const std::string& topic) {
  return "topic[" + topic +
         "] not exist, apply first please! (autoCreateTopicEnable=false: create it with "
         "`mqadmin updateTopic -t " + topic + " -c <cluster>` or UPDATE_AND_CREATE_TOPIC)";
}

// One send in flight: what every asynchronous step needs.
struct SendJob {
  net::ConnectionPtr conn;
  Command request;
  SendHeader header;
  TopicConfig topic;
  std::string dlq_topic;
  int32_t queue_id = 0;
};
using JobPtr = std::shared_ptr<SendJob>;

class SendProcessor {
 public:
  explicit SendProcessor(BrokerContext& ctx) : ctx_(ctx), round_robin_(ctx.shards.size()) {}

  void Handle(const net::ConnectionPtr& conn, Command&& request) {
    auto job = std::make_shared<SendJob>();
    job->conn = conn;
    job->request = std::move(request);
    const BrokerConfig& config = ctx_.config;
    if (!config.IsMaster()) {
      return Fail(job, Status::Error(ResponseCode::kServiceNotAvailable,
                                     "the broker[" + config.broker_name + "] is a SLAVE, sending message is forbidden"));
    }
    if (WallClockMs() < config.start_accept_send_request_timestamp_ms) {
      return Fail(job, Status::SystemError("broker unable to service, until " +
                                           std::to_string(config.start_accept_send_request_timestamp_ms)));
    }
    auto header = DecodeSendHeader(job->request);
    if (!header.ok()) return Fail(job, header.status());
    job->header = std::move(header).value();
    const SendHeader& h = job->header;
    if (Status s = ValidateSendRequest(h, job->request.body, config.max_message_size_bytes); !s.ok()) {
      return Fail(job, s);
    }
    if (IsNotSendableTopic(h.topic)) {
      return Fail(job, Status::Error(ResponseCode::kNoPermission,
                                     "Sending message to topic[" + h.topic + "] is forbidden."));
    }
    if (const TopicConfig* known = ctx_.control.topics().Find(h.topic)) {
      job->topic = *known;
      return AfterTopic(job);
    }
    ctx_.control.EnsureTopicForSend(h.topic, h.default_topic, h.default_topic_queue_nums, 0,
                                    [this, job](Result<TopicEnsured> r) {
                                      if (r.ok()) {
                                        job->topic = r->config;
                                        return AfterTopic(job);
                                      }
                                      if (IsRetryTopic(job->header.topic)) return EnsureRetry(job);
                                      TopicMissing(job, r.status());
                                    });
  }

 private:
  void TopicMissing(const JobPtr& job, const Status& why) {
    if (why.code() != ResponseCode::kTopicNotExist) return Fail(job, why);
    Fail(job, Status::Error(ResponseCode::kTopicNotExist,
                            ctx_.config.auto_create_topic_enable ? why.remark() : HowToCreate(job->header.topic)));
  }

  void EnsureRetry(const JobPtr& job) {
    const std::string group = job->header.topic.substr(kRetryTopicPrefix.size());
    ctx_.control.EnsureRetryTopic(group, 1, [this, job](Result<TopicEnsured> r) {
      if (!r.ok()) return TopicMissing(job, r.status());
      job->topic = r->config;
      AfterTopic(job);
    });
  }

  void AfterTopic(const JobPtr& job) {
    const SendHeader& h = job->header;
    const TopicConfig& t = job->topic;
    if (!IsWriteable(static_cast<int32_t>(ctx_.config.broker_permission)) && t.order) {
      return Fail(job, Status::Error(ResponseCode::kNoPermission,
                                     "the broker[" + ctx_.config.broker_ip1 + "] sending message is forbidden"));
    }
    if (!IsWriteable(t.perm)) {
      return Fail(job, Status::Error(ResponseCode::kNoPermission,
                                     "the topic[" + t.topic_name + "] sending message is forbidden (perm " +
                                         PermToString(t.perm) + ")"));
    }
    const int32_t queue_nums = std::max(t.write_queue_nums, t.read_queue_nums);
    if (h.queue_id >= queue_nums) {
      return Fail(job, Status::SystemError("request queueId[" + std::to_string(h.queue_id) + "] is illegal, topic[" +
                                           t.topic_name + "] writeQueueNums[" + std::to_string(t.write_queue_nums) +
                                           "] readQueueNums[" + std::to_string(t.read_queue_nums) + "]"));
    }
    if (h.queue_id >= 0) {
      job->queue_id = h.queue_id;
    } else if (t.write_queue_nums <= 0) {
      return Fail(job, Status::SystemError("topic[" + t.topic_name + "] has no writable queue"));
    } else {
      uint32_t& next = round_robin_.Get()[t.topic_name];
      job->queue_id = static_cast<int32_t>(next++ % static_cast<uint32_t>(t.write_queue_nums));
    }
    if (!IsRetryTopic(h.topic)) return Store(job);
    const std::string group = h.topic.substr(kRetryTopicPrefix.size());
    ctx_.control.EnsureGroup(group, [this, job, group](Result<GroupEnsured> g) {
      if (!g.ok()) return Fail(job, g.status());
      const int32_t max = ResolveMaxReconsumeTimes(job->header.max_reconsume_times, job->request.version,
                                                   g->config.retry_max_times);
      if (job->header.reconsume_times < max) return Store(job);
      ctx_.control.EnsureDlqTopic(group, [this, job](Result<TopicEnsured> dlq) {
        if (!dlq.ok()) return Fail(job, dlq.status());
        job->dlq_topic = dlq->config.topic_name;
        Store(job);
      });
    });
  }

  void Store(const JobPtr& job) {
    BuildOptions options;
    options.cluster_name = ctx_.config.broker_cluster_name;
    if (auto born = model::HostAddress::Parse(job->conn->peer_address()); born.ok()) options.born_host = *born;
    if (auto host = model::HostAddress::Parse(ctx_.store_host); host.ok()) options.store_host = *host;
    options.delay_level_count = ctx_.config.delay_level_ms.size();
    options.reject_transaction_message = ctx_.config.reject_transaction_message;
    SendTarget target{&job->topic, job->queue_id, job->dlq_topic};
    auto built = BuildSendRecords(job->header, job->request.body, target, options);
    if (!built.ok()) return Fail(job, built.status());
    auto records = std::make_shared<std::vector<model::MessageRecord>>(std::move(built->records));
    const bool wait = built->wait_store_ok;
    const int32_t response_queue = built->response_queue_id;
    const uint32_t owner = ctx_.store.ShardOf(records->front().topic, records->front().queue_id);
    const bool queued = RunOn(ctx_.shards, owner, [this, job, records, wait, response_queue] {
      ctx_.store.Put(std::move(*records), wait, [this, job, response_queue](store::PutResult result) {
        if (result.status != store::PutStatus::kOk) {
          MQ_LOG_WARN("send to {} failed: {} {}", job->header.topic, store::PutStatusName(result.status),
                      result.remark);
        }
        if (job->request.is_oneway()) return;
        ReplyOnOwnShard(ctx_.shards, job->conn,
                        SendResponse(job->request, ctx_.config, ctx_.store_host, response_queue, result));
      });
    });
    if (!queued) Fail(job, Status::Error(ResponseCode::kSystemBusy, kRejectRemark));
  }

  void Fail(const JobPtr& job, const Status& status) {
    if (job->request.is_oneway()) return;
    ReplyOnOwnShard(ctx_.shards, job->conn, SendError(job->request, ctx_.config, status));
  }

  BrokerContext& ctx_;
  runtime::ShardLocal<std::unordered_map<std::string, uint32_t>> round_robin_;  // per topic, per shard
};

void AddRegionAndTrace(Command& resp, const BrokerConfig& config) {
  resp.ext_fields.Set(std::string(model::kTraceSwitch), config.trace_on ? "true" : "false");
  resp.ext_fields.Set(std::string(model::kMsgRegion), config.region_id);
}

}  // namespace

ResponseCode SendCodeOf(store::PutStatus status) {
  switch (status) {
    case store::PutStatus::kOk: return ResponseCode::kSuccess;
    case store::PutStatus::kFlushDiskTimeout: return ResponseCode::kFlushDiskTimeout;
    case store::PutStatus::kServiceNotAvailable: return ResponseCode::kServiceNotAvailable;
    case store::PutStatus::kMessageIllegal: return ResponseCode::kMessageIllegal;
    case store::PutStatus::kUnknownError: return ResponseCode::kSystemError;
  }
  return ResponseCode::kSystemError;
}

Command SendResponse(const Command& request, const BrokerConfig& config, const std::string& store_host,
                     int32_t queue_id, const store::PutResult& result) {
  const ResponseCode code = SendCodeOf(result.status);
  if (code != ResponseCode::kSuccess && code != ResponseCode::kFlushDiskTimeout) {
    std::string remark = result.remark.empty() ? store::PutStatusName(result.status) : result.remark;
    return SendError(request, config, Status::Error(code, std::move(remark)));
  }
  Command resp = Command::ResponseTo(request, code);
  std::string msg_id;
  auto host = model::HostAddress::Parse(store_host);
  const model::HostAddress store_addr = host.ok() ? *host : model::HostAddress{};
  if (result.record_offsets.empty()) {
    msg_id = model::MakeOffsetMsgId(store_addr, result.phys_offset);
  } else {
    for (size_t i = 0; i < result.record_offsets.size(); ++i) {
      if (i > 0) msg_id += ',';
      msg_id += model::MakeOffsetMsgId(store_addr, result.record_offsets[i]);
    }
  }
  if (request.serialize_type == remoting::SerializeType::kRocketmq) {
    resp.ext_fields.Set("msgId", std::move(msg_id));
    resp.ext_fields.Set("queueId", std::to_string(queue_id));
    resp.ext_fields.Set("queueOffset", std::to_string(result.queue_offset));
    AddRegionAndTrace(resp, config);
  } else {  // the captured JSON answers' member order
    resp.ext_fields.Set("queueId", std::to_string(queue_id));
    AddRegionAndTrace(resp, config);
    resp.ext_fields.Set("msgId", std::move(msg_id));
    resp.ext_fields.Set("queueOffset", std::to_string(result.queue_offset));
  }
  return resp;
}

Command SendError(const Command& request, const BrokerConfig& config, const Status& status) {
  Command resp = Command::ErrorResponse(request, status);
  AddRegionAndTrace(resp, config);
  return resp;
}

void RegisterSendProcessors(BrokerContext& ctx, net::ProcessorTable& table) {
  auto processor = std::make_shared<SendProcessor>(ctx);
  auto handler = [processor](const net::ConnectionPtr& conn, Command&& request) {
    processor->Handle(conn, std::move(request));
  };
  table.Register(rc::kSendMessage, handler);
  table.Register(rc::kSendMessageV2, handler);
  table.Register(rc::kSendBatchMessage, handler);
}

}  // namespace mq::broker
