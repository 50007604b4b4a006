#include "client/rebalance.h"

#include <map>

#include "client/message_codec.h"
#include "remoting/request_code.h"

namespace mq::client {
namespace {

namespace rc = remoting::RequestCode;

std::string AddrFor(ClientInstance& inst, const std::string& broker_name) {
  std::string a = inst.BrokerAddr(broker_name, true);
  return a.empty() ? inst.BrokerAddr(broker_name, false) : a;
}

}  // namespace

Result<std::vector<MessageQueue>> AllocateQueues(ClientInstance& inst, const std::string& group,
                                                 const std::string& topic, bool clustering) {
  auto route = inst.Route(topic);
  if (!route.ok()) return route.status();
  auto all = SubscribeQueues(topic, *route.value());
  if (!clustering || all.empty()) return all;
  Status last = Status::SystemError("no broker hosts topic " + topic);
  for (const auto& b : route.value()->broker_datas) {
    const std::string addr = b.MasterOrAny();
    if (addr.empty()) continue;
    auto resp = inst.Invoke(addr, BuildGetConsumerList(group), inst.config().rpc_timeout_ms);
    if (!resp.ok()) {
      last = resp.status();
      continue;
    }
    auto ids = ParseConsumerIdList(resp.value());
    if (!ids.ok()) {
      last = ids.status();
      continue;
    }
    return AllocateAveragely(std::move(all), std::move(ids.value()), inst.client_id());
  }
  return last;
}

Result<int64_t> QueryQueueOffset(ClientInstance& inst, const MessageQueue& mq, bool max) {
  const std::string addr = AddrFor(inst, mq.broker_name);
  if (addr.empty()) return Status::SystemError("no address for broker " + mq.broker_name);
  auto resp = inst.Invoke(addr, max ? BuildGetMaxOffset(mq) : BuildGetMinOffset(mq), inst.config().rpc_timeout_ms);
  if (!resp.ok()) return resp.status();
  return ParseOffsetResponse(resp.value());
}

Result<int64_t> SearchOffsetByTime(ClientInstance& inst, const MessageQueue& mq, int64_t timestamp_ms) {
  const std::string addr = AddrFor(inst, mq.broker_name);
  if (addr.empty()) return Status::SystemError("no address for broker " + mq.broker_name);
  auto resp = inst.Invoke(addr, BuildSearchOffset(mq, timestamp_ms), inst.config().rpc_timeout_ms);
  if (!resp.ok()) return resp.status();
  return ParseOffsetResponse(resp.value());
}

Result<int64_t> ComputeStartOffset(ClientInstance& inst, OffsetStore& store, const MessageQueue& mq,
                                   ConsumeFromWhere from_where, int64_t timestamp_ms) {
  auto stored = store.ReadStored(mq);
  if (!stored.ok()) return stored.status();
  if (stored.value() >= 0) return stored.value();
  const bool retry = mq.topic.rfind(kRetryPrefix, 0) == 0;
  switch (from_where) {
    case ConsumeFromWhere::kFirstOffset:
      return int64_t{0};
    case ConsumeFromWhere::kTimestamp:
      if (retry) return QueryQueueOffset(inst, mq, true);
      return SearchOffsetByTime(inst, mq, timestamp_ms > 0 ? timestamp_ms : NowMs() - 30 * 60 * 1000);
    case ConsumeFromWhere::kLastOffset:
    default:
      if (retry) return int64_t{0};
      return QueryQueueOffset(inst, mq, true);
  }
}

Result<std::vector<MessageQueue>> LockQueues(ClientInstance& inst, const std::string& group,
                                             const std::vector<MessageQueue>& queues) {
  if (queues.empty()) return std::vector<MessageQueue>{};
  const std::string addr = inst.BrokerAddr(queues[0].broker_name, true);
  if (addr.empty()) return Status::SystemError("no master for broker " + queues[0].broker_name);
  remoting::Command req = remoting::Command::Request(rc::kLockBatchMq);
  req.ext_fields_member = false;
  req.body = EncodeLockBatchBody(inst.client_id(), group, queues);
  auto resp = inst.Invoke(addr, std::move(req), inst.config().rpc_timeout_ms);
  if (!resp.ok()) return resp.status();
  if (resp->code != 0) return ResponseError(resp.value(), "LOCK_BATCH_MQ");
  return ParseLockBatchResponse(resp->body);
}

void UnlockQueues(ClientInstance& inst, const std::string& group, const std::vector<MessageQueue>& queues) {
  std::map<std::string, std::vector<MessageQueue>> by_broker;
  for (const auto& q : queues) by_broker[q.broker_name].push_back(q);
  for (const auto& [broker, qs] : by_broker) {
    const std::string addr = inst.BrokerAddr(broker, true);
    if (addr.empty()) continue;
    remoting::Command req = remoting::Command::Request(rc::kUnlockBatchMq);
    req.ext_fields_member = false;
    req.body = EncodeLockBatchBody(inst.client_id(), group, qs);
    (void)inst.Invoke(addr, std::move(req), inst.config().rpc_timeout_ms);  // best effort: locks expire in 60 s
  }
}

}  // namespace mq::client
