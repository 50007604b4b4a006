// GET_TOPIC_STATS_INFO (202), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208) and
// QUERY_TOPIC_CONSUME_BY_WHO (300); see admin_stats_processor.h. Bodies and remarks follow the
// captured 4.9.8 answers (spec 2.5, 3.5). consumeTps is the sum over the reported topics of the
// group's pull rate (GroupGetStats), as the reference adds up tpsGroupGetNums per topic.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "base/log.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/group_get_stats.h"
#include "broker/processors/shard_gather.h"
#include "remoting/fastjson.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;
using RequestPtr = std::shared_ptr<const Command>;

void Reply(BrokerContext& ctx, const net::ConnectionPtr& conn, Command resp) {
  ReplyOnOwnShard(ctx.shards, conn, std::move(resp));
}

void ReplyError(BrokerContext& ctx, const net::ConnectionPtr& conn, const Command& req, const Status& st) {
  if (req.is_oneway()) return;
  Reply(ctx, conn, Command::ErrorResponse(req, st));
}

void ReplyBody(BrokerContext& ctx, const net::ConnectionPtr& conn, const Command& req, std::string body) {
  if (req.is_oneway()) return;
  Command resp = Command::ResponseTo(req, ResponseCode::kSuccess);
  resp.body = std::move(body);
  Reply(ctx, conn, std::move(resp));
}

Status Busy() { return Status::Error(ResponseCode::kSystemBusy, "[REJECTREQUEST] shard busy, try again later"); }

// {MessageQueue:{"n0":a,"n1":b,"n2":c},...}
std::string EncodeOffsetTable(const std::string& broker_name, const std::vector<QueueRow>& rows, const char* n0,
                              const char* n1, const char* n2) {
  std::string out = "{";
  bool first = true;
  for (const auto& r : rows) {
    if (!first) out += ',';
    first = false;
    AppendMessageQueueKey(out, broker_name, r.topic, r.queue_id);
    out += ":{\"";
    out += n0;
    out += "\":" + std::to_string(r.a) + ",\"";
    out += n1;
    out += "\":" + std::to_string(r.b) + ",\"";
    out += n2;
    out += "\":" + std::to_string(r.c) + "}";
  }
  out += '}';
  return out;
}

// Store time of the message at `offset`, 0 when there is none (on the queue's shard).
int64_t StoreTimeOr0(store::MessageStore& store, const std::string& topic, int32_t qid, int64_t offset) {
  if (offset < 0) return 0;
  auto t = store.StoreTimeAt(topic, qid, offset);
  return t.ok() ? *t : 0;
}

Status TopicNotExist(const std::string& topic) {
  return Status::Error(ResponseCode::kTopicNotExist, "topic[" + topic + "] not exist");
}

// ---- 202 ----
void GetTopicStatsInfo(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  auto req = std::make_shared<const Command>(std::move(request));
  auto topic = req->ext_fields.GetString("topic");
  if (!topic.ok()) return ReplyError(ctx, conn, *req, topic.status());
  const TopicConfig* config = ctx.control.topics().Find(*topic);
  if (config == nullptr) return ReplyError(ctx, conn, *req, TopicNotExist(*topic));
  QueueList queues;
  for (int32_t q = 0; q < config->write_queue_nums; ++q) queues.emplace_back(*topic, q);
  store::MessageStore& store = ctx.store;
  GatherQueues(
      ctx, queues,
      [&store](const std::string& t, int32_t q) {
        QueueRow r{t, q};
        const int64_t max = store.MaxOffset(t, q);
        r.a = max > 0 ? StoreTimeOr0(store, t, q, max - 1) : 0;  // lastUpdateTimestamp
        r.b = max;
        r.c = store.MinOffset(t, q);
        return r;
      },
      [&ctx, conn, req](std::optional<std::vector<QueueRow>> rows) {
        if (!rows) return ReplyError(ctx, conn, *req, Busy());
        ReplyBody(ctx, conn, *req,
                  "{\"offsetTable\":" +
                      EncodeOffsetTable(ctx.config.broker_name, *rows, "lastUpdateTimestamp", "maxOffset",
                                        "minOffset") +
                      "}");
      });
}

// ---- 203 ----
void GetConsumerConnectionList(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  auto req = std::make_shared<const Command>(std::move(request));
  auto group = req->ext_fields.GetString("consumerGroup");
  if (!group.ok()) return ReplyError(ctx, conn, *req, group.status());
  auto body = std::make_shared<std::string>();
  ctx.control.CallOnControl(
      [g = *group, body](ControlPlane::Tables& t) -> Status {
        auto json = t.clients.consumers().ConsumerConnectionJson(g);
        if (!json) return Status::Error(ResponseCode::kConsumerNotOnline, "the consumer group[" + g + "] not online");
        *body = std::move(*json);
        return Status::Ok();
      },
      [&ctx, conn, req, body](Status st) {
        if (!st.ok()) return ReplyError(ctx, conn, *req, st);
        ReplyBody(ctx, conn, *req, std::move(*body));
      });
}

// ---- 208 ----
void GetConsumeStats(BrokerContext& ctx, const GroupGetStats* tps_stats, const net::ConnectionPtr& conn,
                     Command&& request) {
  auto req = std::make_shared<const Command>(std::move(request));
  auto group = req->ext_fields.GetString("consumerGroup");
  if (!group.ok()) return ReplyError(ctx, conn, *req, group.status());
  const std::string* topic_field = req->ext_fields.Find("topic");
  const std::string explicit_topic = topic_field != nullptr ? *topic_field : "";
  // Step 1 (shard 0): the topics the group subscribes to while online (empty when offline).
  auto subscribed = std::make_shared<std::set<std::string>>();
  ctx.control.CallOnControl(
      [g = *group, subscribed](ControlPlane::Tables& t) -> Status {
        if (const ConsumerGroupInfo* info = t.clients.consumers().FindGroup(g)) {
          for (const auto& [topic, _] : info->subscriptions) subscribed->insert(topic);
        }
        return Status::Ok();
      },
      [&ctx, tps_stats, conn, req, g = *group, explicit_topic, subscribed](Status st) {
        if (!st.ok()) return ReplyError(ctx, conn, *req, st);
        // Step 3 (here): the queues of the topics that apply, then their figures on their shards,
        // then the pull rate of (group, topic) from every shard.
        auto with_topics = [&ctx, tps_stats, conn, req, g, subscribed](std::vector<std::string> topics, bool derived) {
          QueueList queues;
          auto reported = std::make_shared<std::vector<std::string>>();
          for (const auto& topic : topics) {
            const TopicConfig* config = ctx.control.topics().Find(topic);
            if (config == nullptr) {
              if (derived) continue;  // offsets left for a topic no longer configured
              return ReplyError(ctx, conn, *req, TopicNotExist(topic));
            }
            if (!subscribed->empty() && subscribed->count(topic) == 0) continue;  // online, not subscribed
            reported->push_back(topic);
            for (int32_t q = 0; q < config->read_queue_nums; ++q) queues.emplace_back(topic, q);
          }
          store::MessageStore& store = ctx.store;
          ControlPlane& control = ctx.control;
          GatherQueues(
              ctx, queues,
              [&store, &control, g](const std::string& t, int32_t q) {
                QueueRow r{t, q};
                r.a = store.MaxOffset(t, q);                                   // brokerOffset
                r.b = std::max<int64_t>(control.offsets().Query(t, g, q).value_or(0), 0);  // consumerOffset
                r.c = r.b > 0 ? StoreTimeOr0(store, t, q, r.b - 1) : 0;       // lastTimestamp
                return r;
              },
              [&ctx, tps_stats, conn, req, g, reported](std::optional<std::vector<QueueRow>> rows) {
                if (!rows) return ReplyError(ctx, conn, *req, Busy());
                auto table = std::make_shared<std::string>(EncodeOffsetTable(
                    ctx.config.broker_name, *rows, "brokerOffset", "consumerOffset", "lastTimestamp"));
                auto answer = [&ctx, conn, req, table](double tps) {
                  ReplyBody(ctx, conn, *req, "{\"consumeTps\":" + JavaDoubleString(tps) + ",\"offsetTable\":" + *table + "}");
                };
                if (tps_stats == nullptr || reported->empty()) return answer(0.0);
                FanOut<double>(
                    ctx.shards, AllShards(ctx.shards),
                    [tps_stats, g, reported](uint32_t) {
                      double sum = 0;
                      for (const auto& topic : *reported) sum += tps_stats->Tps(g, topic);
                      return sum;
                    },
                    [&ctx, conn, req, answer](std::vector<double> parts, bool ok) {
                      if (!ok) return ReplyError(ctx, conn, *req, Busy());
                      double sum = 0;
                      for (double p : parts) sum += p;
                      answer(sum);
                    });
              });
        };
        if (!explicit_topic.empty()) return with_topics({explicit_topic}, false);
        // Step 2 (every shard): the topics the group holds offsets for.
        ControlPlane& control = ctx.control;
        FanOut<std::vector<std::string>>(
            ctx.shards, AllShards(ctx.shards), [&control, g](uint32_t) { return control.offsets().TopicsOfGroup(g); },
            [&ctx, conn, req, with_topics](std::vector<std::vector<std::string>> parts, bool ok) {
              if (!ok) return ReplyError(ctx, conn, *req, Busy());
              std::set<std::string> topics;
              for (const auto& part : parts) topics.insert(part.begin(), part.end());
              with_topics(std::vector<std::string>(topics.begin(), topics.end()), true);
            });
      });
}

// ---- 300 ----
void QueryTopicConsumeByWho(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  auto req = std::make_shared<const Command>(std::move(request));
  auto topic = req->ext_fields.GetString("topic");
  if (!topic.ok()) return ReplyError(ctx, conn, *req, topic.status());
  auto online = std::make_shared<std::vector<std::string>>();
  ctx.control.CallOnControl(
      [t = *topic, online](ControlPlane::Tables& tables) -> Status {
        *online = tables.clients.consumers().GroupsOfTopic(t);
        return Status::Ok();
      },
      [&ctx, conn, req, t = *topic, online](Status st) {
        if (!st.ok()) return ReplyError(ctx, conn, *req, st);
        ControlPlane& control = ctx.control;
        FanOut<std::vector<std::string>>(
            ctx.shards, AllShards(ctx.shards), [&control, t](uint32_t) { return control.offsets().GroupsOfTopic(t); },
            [&ctx, conn, req, online](std::vector<std::vector<std::string>> parts, bool ok) {
              if (!ok) return ReplyError(ctx, conn, *req, Busy());
              std::set<std::string> groups(online->begin(), online->end());
              for (const auto& part : parts) groups.insert(part.begin(), part.end());
              std::string body = "{\"groupList\":[";
              bool first = true;
              for (const auto& g : groups) {
                if (!first) body += ',';
                first = false;
                remoting::AppendJsonString(body, g);
              }
              body += "]}";
              ReplyBody(ctx, conn, *req, std::move(body));
            });
      });
}

}  // namespace

void AppendMessageQueueKey(std::string& out, std::string_view broker_name, std::string_view topic, int32_t queue_id) {
  out += "{\"brokerName\":";
  remoting::AppendJsonString(out, broker_name);
  out += ",\"queueId\":" + std::to_string(queue_id) + ",\"topic\":";
  remoting::AppendJsonString(out, topic);
  out += '}';
}

void RegisterAdminStatsProcessors(BrokerContext& ctx, net::ProcessorTable& table, const GroupGetStats* tps_stats) {
  using Handler = void (*)(BrokerContext&, const net::ConnectionPtr&, Command&&);
  const std::pair<int32_t, Handler> handlers[] = {
      {rc::kGetTopicStatsInfo, &GetTopicStatsInfo},
      {rc::kGetConsumerConnectionList, &GetConsumerConnectionList},
      {rc::kQueryTopicConsumeByWho, &QueryTopicConsumeByWho},
  };
  for (const auto& [code, handler] : handlers) {
    table.Register(code, [&ctx, handler = handler](const net::ConnectionPtr& conn, Command&& req) {
      handler(ctx, conn, std::move(req));
    });
  }
  table.Register(rc::kGetConsumeStats, [&ctx, tps_stats](const net::ConnectionPtr& conn, Command&& req) {
    GetConsumeStats(ctx, tps_stats, conn, std::move(req));
  });
}

}  // namespace mq::broker
