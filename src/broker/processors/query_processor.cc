#include "broker/processors/query_processor.h"

#include <algorithm>
#include <cstdint>
#include <memory>

#include "broker/processors/pull_processor.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

using remoting::Command;
namespace rc = remoting::RequestCode;

void ViewMessageById(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  if (request.is_oneway()) return;
  auto offset = request.ext_fields.GetInt64("offset");
  if (!offset.ok()) return conn->Send(Command::ErrorResponse(request, offset.status()));
  auto slice = ctx.store.ReadRecordAt(*offset);
  if (!slice.ok()) {
    return conn->Send(Command::ResponseTo(request, ResponseCode::kSystemError,
                                          "can not find message by the offset, " + std::to_string(*offset)));
  }
  Command resp = Command::ResponseTo(request, ResponseCode::kSuccess);
  resp.ext_fields_member = false;  // no response header, as captured
  std::vector<store::Slice> one;
  one.push_back(std::move(slice).value());
  conn->SendWithBody(resp, ToBodySlices(std::move(one)));
}

void SetIndexFields(Command& resp, int64_t phy_offset, int64_t timestamp_ms) {
  resp.ext_fields.Set("indexLastUpdatePhyoffset", std::to_string(phy_offset));
  resp.ext_fields.Set("indexLastUpdateTimestamp", std::to_string(timestamp_ms));
}

void QueryMessage(BrokerContext& ctx, const net::ConnectionPtr& conn, Command&& request) {
  if (request.is_oneway()) return;
  const remoting::ExtFields& f = request.ext_fields;
  auto topic = f.GetString("topic");
  auto key = f.GetString("key");
  auto max_num = f.GetInt32Or("maxNum", 32);
  auto begin_ms = f.GetInt64Or("beginTimestamp", 0);
  auto end_ms = f.GetInt64Or("endTimestamp", INT64_MAX);
  const Status bad = !topic.ok() ? topic.status() : !key.ok() ? key.status() : !max_num.ok() ? max_num.status()
                    : !begin_ms.ok() ? begin_ms.status() : !end_ms.ok() ? end_ms.status() : Status::Ok();
  if (!bad.ok()) return conn->Send(Command::ErrorResponse(request, bad));
  int32_t wanted = *max_num;
  if (const std::string* uniq = f.Find("_UNIQUE_KEY_QUERY"); uniq != nullptr && *uniq == "true") {
    wanted = static_cast<int32_t>(ctx.config.default_query_max_num);
  }
  const size_t limit = static_cast<size_t>(std::clamp(wanted, 0, kMaxQueryHits));
  auto req = std::make_shared<Command>(std::move(request));
  req->body.clear();
  auto work = [&ctx, conn, req, t = std::move(topic).value(), k = std::move(key).value(), limit, b = *begin_ms,
               e = *end_ms] {
    std::vector<store::Slice> hits = ctx.store.QueryByKey(t, k, limit, b, e);
    if (hits.empty()) {
      Command resp = Command::ResponseTo(*req, ResponseCode::kQueryNotFound,
                                         "can not find message, maybe time range not correct");
      SetIndexFields(resp, 0, 0);
      return ReplyOnOwnShard(ctx.shards, conn, std::move(resp));
    }
    Command resp = Command::ResponseTo(*req, ResponseCode::kSuccess);
    SetIndexFields(resp, ctx.store.dispatched_offset(), ctx.store.commit_log().last_store_timestamp_ms());
    ReplyWithBodyOnOwnShard(ctx.shards, conn, std::move(resp), ToBodySlices(std::move(hits)));
  };
  if (!RunOn(ctx.shards, 0, work)) {
    conn->Send(Command::ResponseTo(*req, ResponseCode::kSystemBusy, "[OVERLOAD] broker busy, retry"));
  }
}

}  // namespace

void RegisterQueryProcessors(BrokerContext& ctx, net::ProcessorTable& table) {
  table.Register(rc::kViewMessageById, [&ctx](const net::ConnectionPtr& conn, Command&& request) {
    ViewMessageById(ctx, conn, std::move(request));
  });
  table.Register(rc::kQueryMessage, [&ctx](const net::ConnectionPtr& conn, Command&& request) {
    QueryMessage(ctx, conn, std::move(request));
  });
}

}  // namespace mq::broker
