// GET_TOPIC_STATS_INFO (202), GET_CONSUMER_CONNECTION_LIST (203), GET_CONSUME_STATS (208) and
// QUERY_TOPIC_CONSUME_BY_WHO (300); see admin_stats_processor.h. Bodies and remarks follow the
// captured 4.9.8 answers (spec 2.5, 3.5).
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "base/log.h"
#include "broker/processors/admin_stats_processor.h"
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

// Runs work(target) on every shard of `targets` and finish(results, ok) back on the calling shard
// (results in `targets` order). ok == false when a task could not be queued (its result is T{}).
template <typename T>
void FanOut(runtime::ShardSet& shards, const std::vector<uint32_t>& targets, std::function<T(uint32_t)> work,
            std::function<void(std::vector<T>, bool)> finish) {
  struct State {
    std::vector<T> results;
    size_t pending = 0;
    bool ok = true;
    std::function<void(std::vector<T>, bool)> finish;
  };
  runtime::Shard* here = runtime::CurrentShard();
  MQ_ASSERT(here != nullptr);
  const uint32_t home = here->id();
  auto state = std::make_shared<State>();
  state->results.resize(targets.size());
  state->pending = targets.size();
  state->finish = std::move(finish);
  if (targets.empty()) return state->finish({}, true);
  auto arrive = [state] {  // on `home`
    if (--state->pending == 0) state->finish(std::move(state->results), state->ok);
  };
  for (size_t i = 0; i < targets.size(); ++i) {
    const uint32_t target = targets[i];
    const bool queued = RunOn(shards, target, [&shards, state, work, arrive, i, target, home] {
      auto result = std::make_shared<T>(work(target));
      if (!RunOn(shards, home, [state, arrive, i, result] {
            state->results[i] = std::move(*result);
            arrive();
          })) {
        MQ_LOG_WARN("admin stats: shard {} ring full, a gathered answer is lost", home);
      }
    });
    if (!queued) {
      state->ok = false;
      arrive();
    }
  }
}

std::vector<uint32_t> AllShards(runtime::ShardSet& shards) {
  std::vector<uint32_t> out(shards.size());
  for (uint32_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

// One queue's figures: a, b, c are the three fields of its body entry.
struct QueueRow {
  std::string topic;
  int32_t queue_id = 0;
  int64_t a = 0, b = 0, c = 0;
};
using RowFn = std::function<QueueRow(const std::string& topic, int32_t queue_id)>;  // on the queue's shard

// Computes `fn` for every (topic, queue) on the queue's shard; done(rows sorted by topic, queue) on
// the calling shard, or done(nullopt) when a shard was too busy.
void GatherQueues(BrokerContext& ctx, const std::vector<std::pair<std::string, int32_t>>& queues, RowFn fn,
                  std::function<void(std::optional<std::vector<QueueRow>>)> done) {
  auto by_shard = std::make_shared<std::map<uint32_t, std::vector<std::pair<std::string, int32_t>>>>();
  for (const auto& q : queues) (*by_shard)[ctx.store.ShardOf(q.first, q.second)].push_back(q);
  std::vector<uint32_t> targets;
  for (const auto& [shard, _] : *by_shard) targets.push_back(shard);
  FanOut<std::vector<QueueRow>>(
      ctx.shards, targets,
      [by_shard, fn](uint32_t shard) {
        std::vector<QueueRow> rows;
        for (const auto& [topic, qid] : by_shard->at(shard)) rows.push_back(fn(topic, qid));
        return rows;
      },
      [done](std::vector<std::vector<QueueRow>> parts, bool ok) {
        if (!ok) return done(std::nullopt);
        std::vector<QueueRow> rows;
        for (auto& part : parts) {
          for (auto& r : part) rows.push_back(std::move(r));
        }
        std::sort(rows.begin(), rows.end(), [](const QueueRow& x, const QueueRow& y) {
          return std::tie(x.topic, x.queue_id) < std::tie(y.topic, y.queue_id);
        });
        done(std::move(rows));
      });
}

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
  std::vector<std::pair<std::string, int32_t>> queues;
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
void GetConsumeStats(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
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
      [&ctx, conn, req, g = *group, explicit_topic, subscribed](Status st) {
        if (!st.ok()) return ReplyError(ctx, conn, *req, st);
        // Step 3 (here): the queues of the topics that apply, then their figures on their shards.
        auto with_topics = [&ctx, conn, req, g, subscribed](std::vector<std::string> topics, bool derived) {
          std::vector<std::pair<std::string, int32_t>> queues;
          for (const auto& topic : topics) {
            const TopicConfig* config = ctx.control.topics().Find(topic);
            if (config == nullptr) {
              if (derived) continue;  // offsets left for a topic no longer configured
              return ReplyError(ctx, conn, *req, TopicNotExist(topic));
            }
            if (!subscribed->empty() && subscribed->count(topic) == 0) continue;  // online, not subscribed
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
              [&ctx, conn, req](std::optional<std::vector<QueueRow>> rows) {
                if (!rows) return ReplyError(ctx, conn, *req, Busy());
                ReplyBody(ctx, conn, *req,
                          "{\"consumeTps\":0.0,\"offsetTable\":" +
                              EncodeOffsetTable(ctx.config.broker_name, *rows, "brokerOffset", "consumerOffset",
                                                "lastTimestamp") +
                              "}");
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

void RegisterAdminStatsProcessors(BrokerContext& ctx, net::ProcessorTable& table) {
  using Handler = void (*)(BrokerContext&, const net::ConnectionPtr&, Command&&);
  const std::pair<int32_t, Handler> handlers[] = {
      {rc::kGetTopicStatsInfo, &GetTopicStatsInfo},
      {rc::kGetConsumerConnectionList, &GetConsumerConnectionList},
      {rc::kGetConsumeStats, &GetConsumeStats},
      {rc::kQueryTopicConsumeByWho, &QueryTopicConsumeByWho},
  };
  for (const auto& [code, handler] : handlers) {
    table.Register(code, [&ctx, handler = handler](const net::ConnectionPtr& conn, Command&& req) {
      handler(ctx, conn, std::move(req));
    });
  }
}

}  // namespace mq::broker
