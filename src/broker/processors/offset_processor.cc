#include "broker/processors/offset_processor.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>

#include "base/log.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

int64_t TotalRamBytes() {
  static const int64_t ram = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : int64_t{8} << 30;
  }();
  return ram;
}

struct QueueRequest {
  std::string topic;
  int32_t queue_id = 0;
};

Result<QueueRequest> ParseQueue(const Command& req) {
  auto topic = req.ext_fields.GetString("topic");
  if (!topic.ok()) return topic.status();
  auto queue_id = req.ext_fields.GetInt32("queueId");
  if (!queue_id.ok()) return queue_id.status();
  return QueueRequest{std::move(topic).value(), *queue_id};
}

Command WithField(const Command& req, const char* key, int64_t value) {
  Command resp = Command::ResponseTo(req, ResponseCode::kSuccess);
  resp.ext_fields.Set(key, std::to_string(value));
  return resp;
}

// Queue's shard: the answer, or nullopt for a oneway request.
using QueueWork = std::function<std::optional<Command>(BrokerContext&, const Command&, const QueueRequest&)>;

void RegisterQueueHandler(BrokerContext& ctx, net::ProcessorTable& table, int32_t code, QueueWork work) {
  table.Register(code, [&ctx, work](const net::ConnectionPtr& conn, Command&& request) {
    auto q = ParseQueue(request);
    if (!q.ok()) {
      if (!request.is_oneway()) conn->Send(Command::ErrorResponse(request, q.status()));
      return;
    }
    auto req = std::make_shared<Command>(std::move(request));
    auto qr = std::make_shared<QueueRequest>(std::move(q).value());
    const uint32_t queue_shard = ctx.store.ShardOf(qr->topic, qr->queue_id);
    auto task = [&ctx, work, conn, req, qr] {
      std::optional<Command> resp = work(ctx, *req, *qr);
      if (resp && !req->is_oneway()) ReplyOnOwnShard(ctx.shards, conn, std::move(*resp));
    };
    if (!RunOn(ctx.shards, queue_shard, task) && !req->is_oneway()) {
      conn->Send(Command::ResponseTo(*req, ResponseCode::kSystemBusy, "[OVERLOAD] broker busy, retry"));
    }
  });
}

std::optional<Command> QueryConsumerOffset(BrokerContext& ctx, const Command& req, const QueueRequest& q) {
  auto group = req.ext_fields.GetString("consumerGroup");
  if (!group.ok()) return Command::ErrorResponse(req, group.status());
  if (auto committed = ctx.control.offsets().Query(q.topic, *group, q.queue_id)) {
    return WithField(req, "offset", *committed);
  }
  if (ctx.store.MinOffset(q.topic, q.queue_id) <= 0) {
    store::GetResult first = ctx.store.Get(q.topic, q.queue_id, 0, 1, nullptr);
    bool young = first.messages.empty();  // no message at offset 0: nothing to skip
    if (!young) {
      const int64_t behind = ctx.store.commit_log().max_offset() - first.messages[0].phys_offset;
      young = behind <= TotalRamBytes() / 100 * ctx.config.access_message_in_memory_max_ratio_percent;
    }
    if (young) return WithField(req, "offset", 0);
  }
  return Command::ResponseTo(req, ResponseCode::kQueryNotFound, kQueryOffsetNotFoundRemark);
}

std::optional<Command> UpdateConsumerOffset(BrokerContext& ctx, const Command& req, const QueueRequest& q) {
  auto group = req.ext_fields.GetString("consumerGroup");
  if (!group.ok()) return Command::ErrorResponse(req, group.status());
  auto offset = req.ext_fields.GetInt64("commitOffset");
  if (!offset.ok()) return Command::ErrorResponse(req, offset.status());
  // Negative offsets (ali-ons and Go send -1 before they consumed anything) carry no position.
  if (*offset >= 0) ctx.control.offsets().Commit(q.topic, *group, q.queue_id, *offset);
  return Command::ResponseTo(req, ResponseCode::kSuccess);
}

}  // namespace

int64_t SearchOffsetByTimestamp(store::MessageStore& store, const std::string& topic, int32_t queue_id,
                                int64_t timestamp_ms) {
  const int64_t min = store.MinOffset(topic, queue_id);
  const int64_t max = store.MaxOffset(topic, queue_id);
  if (max <= min) return 0;
  const int64_t right = store.OffsetByTimestamp(topic, queue_id, timestamp_ms);  // first >= timestamp
  if (right >= max) return max - 1;  // after every message: the last one
  if (right <= min) return min;
  auto right_time = store.StoreTimeAt(topic, queue_id, right);
  auto left_time = store.StoreTimeAt(topic, queue_id, right - 1);
  if (!right_time.ok() || !left_time.ok()) return right;
  if (*right_time == timestamp_ms) return right;
  return timestamp_ms - *left_time <= *right_time - timestamp_ms ? right - 1 : right;
}

void RegisterOffsetProcessors(BrokerContext& ctx, net::ProcessorTable& table) {
  RegisterQueueHandler(ctx, table, rc::kQueryConsumerOffset, QueryConsumerOffset);
  RegisterQueueHandler(ctx, table, rc::kUpdateConsumerOffset, UpdateConsumerOffset);
  RegisterQueueHandler(ctx, table, rc::kGetMaxOffset, [](BrokerContext& c, const Command& req, const QueueRequest& q) {
    return std::optional<Command>(WithField(req, "offset", c.store.MaxOffset(q.topic, q.queue_id)));
  });
  RegisterQueueHandler(ctx, table, rc::kGetMinOffset, [](BrokerContext& c, const Command& req, const QueueRequest& q) {
    return std::optional<Command>(WithField(req, "offset", c.store.MinOffset(q.topic, q.queue_id)));
  });
  RegisterQueueHandler(ctx, table, rc::kSearchOffsetByTimestamp,
                       [](BrokerContext& c, const Command& req, const QueueRequest& q) -> std::optional<Command> {
                         auto ts = req.ext_fields.GetInt64("timestamp");
                         if (!ts.ok()) return Command::ErrorResponse(req, ts.status());
                         return WithField(req, "offset", SearchOffsetByTimestamp(c.store, q.topic, q.queue_id, *ts));
                       });
  RegisterQueueHandler(ctx, table, rc::kGetEarliestMsgStoretime,
                       [](BrokerContext& c, const Command& req, const QueueRequest& q) {
                         auto t = c.store.StoreTimeAt(q.topic, q.queue_id, c.store.MinOffset(q.topic, q.queue_id));
                         return std::optional<Command>(WithField(req, "timestamp", t.ok() ? *t : -1));
                       });
}

}  // namespace mq::broker
