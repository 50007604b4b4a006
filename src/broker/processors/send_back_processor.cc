#include "broker/processors/send_back_processor.h"

#include <atomic>
#include <memory>

#include "base/log.h"
#include "broker/processors/message_builder.h"
#include "model/message_id.h"
#include "model/properties.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;

struct BackHeader {
  int64_t offset = 0;
  std::string group;
  int32_t delay_level = 0;
  std::optional<int32_t> max_reconsume_times;
};

Result<BackHeader> Decode(const Command& req) {
  BackHeader h;
  auto offset = req.ext_fields.GetInt64("offset");
  if (!offset.ok()) return offset.status();
  h.offset = *offset;
  auto group = req.ext_fields.GetString("group");
  if (!group.ok()) return group.status();
  h.group = std::move(group).value();
  auto level = req.ext_fields.GetInt32("delayLevel");
  if (!level.ok()) return level.status();
  h.delay_level = *level;
  if (req.ext_fields.Find("maxReconsumeTimes") != nullptr) {
    auto max = req.ext_fields.GetInt32("maxReconsumeTimes");
    if (!max.ok()) return max.status();
    h.max_reconsume_times = *max;
  }
  return h;
}

struct BackJob {
  net::ConnectionPtr conn;
  Command request;
  BackHeader header;
  SubscriptionGroupConfig group;
  std::string retry_topic;
};
using JobPtr = std::shared_ptr<BackJob>;

class SendBackProcessor {
 public:
  explicit SendBackProcessor(BrokerContext& ctx) : ctx_(ctx) {}

  void Handle(const net::ConnectionPtr& conn, Command&& request) {
    auto job = std::make_shared<BackJob>();
    job->conn = conn;
    job->request = std::move(request);
    auto header = Decode(job->request);
    if (!header.ok()) return Reply(job, header.status());
    job->header = std::move(header).value();
    ctx_.control.EnsureGroup(job->header.group, [this, job](Result<GroupEnsured> g) {
      if (!g.ok()) return Reply(job, g.status());
      job->group = g->config;
      if (!IsWriteable(static_cast<int32_t>(ctx_.config.broker_permission))) {
        return Reply(job, Status::Error(ResponseCode::kNoPermission,
                                        "the broker[" + ctx_.config.broker_ip1 + "] sending message is forbidden"));
      }
      if (job->group.retry_queue_nums <= 0) return Reply(job, Status::Ok());
      ctx_.control.EnsureRetryTopic(job->header.group, job->group.retry_queue_nums,
                                    [this, job](Result<TopicEnsured> t) { AfterRetryTopic(job, std::move(t)); });
    });
  }

 private:
  void AfterRetryTopic(const JobPtr& job, Result<TopicEnsured> topic) {
    if (!topic.ok()) return Reply(job, topic.status());
    if (!IsWriteable(topic->config.perm)) {
      return Reply(job, Status::Error(ResponseCode::kNoPermission,
                                      "the topic[" + topic->config.topic_name + "] sending message is forbidden"));
    }
    job->retry_topic = topic->config.topic_name;
    auto slice = ctx_.store.ReadRecordAt(job->header.offset);
    if (!slice.ok()) {
      return Reply(job, Status::SystemError("look message by offset failed, " + std::to_string(job->header.offset)));
    }
    auto original = model::DecodeRecord(slice->data, slice->size_bytes, false);
    if (!original.ok()) {
      return Reply(job, Status::SystemError("look message by offset failed, " + std::to_string(job->header.offset)));
    }
    auto record = std::make_shared<model::MessageRecord>(std::move(original).value());
    const int32_t max = ResolveMaxReconsumeTimes(job->header.max_reconsume_times, job->request.version,
                                                 job->group.retry_max_times);
    const SendBackPlan plan = PlanSendBack(record->reconsume_times, max, job->header.delay_level);
    if (!plan.to_dlq) {
      const int32_t queues = std::max(topic->config.write_queue_nums, 1);
      return Put(job, record, job->retry_topic, static_cast<int32_t>(next_queue_.fetch_add(1, std::memory_order_relaxed) % static_cast<uint32_t>(queues)),
                 plan.delay_level);
    }
    ctx_.control.EnsureDlqTopic(job->header.group, [this, job, record](Result<TopicEnsured> dlq) {
      if (!dlq.ok()) return Reply(job, dlq.status());
      if (!IsWriteable(dlq->config.perm)) {
        return Reply(job, Status::Error(ResponseCode::kNoPermission,
                                        "the topic[" + dlq->config.topic_name + "] sending message is forbidden"));
      }
      Put(job, record, dlq->config.topic_name, 0, 0);
    });
  }

  void Put(const JobPtr& job, const std::shared_ptr<model::MessageRecord>& original, const std::string& topic,
           int32_t queue_id, int32_t delay_level) {
    const std::string msg_id = model::MakeOffsetMsgId(original->store_host, job->header.offset);
    auto records = std::make_shared<std::vector<model::MessageRecord>>();
    records->push_back(BuildSendBackRecord(*original, msg_id, topic, queue_id, delay_level,
                                           ctx_.config.delay_level_ms.size()));
    const uint32_t owner = ctx_.store.ShardOf(records->front().topic, records->front().queue_id);
    const bool queued = RunOn(ctx_.shards, owner, [this, job, records] {
      ctx_.store.Put(std::move(*records), false, [this, job](store::PutResult r) {
        if (r.status == store::PutStatus::kOk) return Reply(job, Status::Ok());
        Reply(job, Status::SystemError(store::PutStatusName(r.status)));
      });
    });
    if (!queued) {
      Reply(job, Status::Error(ResponseCode::kSystemBusy, "[REJECTREQUEST]system busy, start flow control for a while"));
    }
  }

  void Reply(const JobPtr& job, const Status& status) {
    if (job->request.is_oneway()) return;
    Command resp = status.ok() ? Command::ResponseTo(job->request, ResponseCode::kSuccess)
                               : Command::ErrorResponse(job->request, status);
    resp.ext_fields_member = false;  // the reference answers 36 without an extFields member
    ReplyOnOwnShard(ctx_.shards, job->conn, std::move(resp));
  }

  BrokerContext& ctx_;
  std::atomic<uint32_t> next_queue_{0};  // spreads send-backs over the retry queues
};

}  // namespace

SendBackPlan PlanSendBack(int32_t record_reconsume_times, int32_t max_reconsume_times, int32_t header_delay_level) {
  SendBackPlan plan;
  if (record_reconsume_times >= max_reconsume_times || header_delay_level < 0) {
    plan.to_dlq = true;
    return plan;
  }
  plan.delay_level = header_delay_level == 0 ? 3 + record_reconsume_times : header_delay_level;
  return plan;
}

model::MessageRecord BuildSendBackRecord(const model::MessageRecord& original, std::string_view original_offset_msg_id,
                                         const std::string& target_topic, int32_t queue_id, int32_t delay_level,
                                         size_t delay_level_count) {
  model::MessageRecord r;
  r.topic = target_topic;
  r.queue_id = queue_id;
  r.body = original.body;
  r.flag = original.flag;
  r.sys_flag = original.sys_flag;
  r.born_timestamp_ms = original.born_timestamp_ms;
  r.born_host = original.born_host;
  r.store_host = original.store_host;
  r.reconsume_times = original.reconsume_times + 1;
  model::MessageProperties props = model::MessageProperties::Parse(original.properties);
  const size_t max_size = props.size();
  if (!props.Has(model::kRetryTopic)) props.Set(model::kRetryTopic, original.topic);
  if (!props.Has(model::kOriginMessageId)) props.Set(model::kOriginMessageId, original_offset_msg_id);
  props.Erase(model::kDelay);
  props.Erase(model::kRealTopic);
  props.Erase(model::kRealQid);
  if (delay_level > 0 && delay_level_count > 0) {
    RewriteForDelay(r, props, std::min<int32_t>(delay_level, static_cast<int32_t>(delay_level_count)));
  }
  r.properties = EncodeInJavaHashMapOrder(props, std::max(max_size, props.size()));
  return r;
}

void RegisterSendBackProcessor(BrokerContext& ctx, net::ProcessorTable& table) {
  auto processor = std::make_shared<SendBackProcessor>(ctx);
  table.Register(remoting::RequestCode::kConsumerSendMsgBack,
                 [processor](const net::ConnectionPtr& conn, Command&& request) {
                   processor->Handle(conn, std::move(request));
                 });
}

}  // namespace mq::broker
