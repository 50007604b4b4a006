// The consume path on a real 2-shard MessageStore + ControlPlane, with fake connections that
// capture frames: PULL_MESSAGE statuses (spec 4.3), tag filtering, long polling (answered on arrival
// and at the deadline), the commit-offset flag, offsets 14/15/29/30/31/32, VIEW and QUERY, and the
// captured Java requests answered with the captured codes and ext-field names.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "base/bytes.h"
#include "broker/control_plane.h"
#include "broker/processors/long_poll.h"
#include "broker/processors/offset_processor.h"
#include "broker/processors/pull_processor.h"
#include "broker/processors/query_processor.h"
#include "model/properties.h"
#include "remoting/frame.h"
#include "remoting/request_code.h"
#include "support/broker_fixture.h"
#include "support/fixture_frames.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::Ext;
using mq::testing::Record;
using mq::testing::WaitFor;
using mq::testing::FakeConnection;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> Bodies(const std::string& frame_body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 4 <= frame_body.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(frame_body.data()) + pos;
    const size_t size = LoadBe32(p);
    auto view = model::RecordView::Parse(p, size, true);
    REQUIRE(view.ok());
    out.emplace_back(view->body());
    pos += size;
  }
  CHECK(pos == frame_body.size());
  return out;
}

// The broker core with the consume-path processors.
struct PullFixture : mq::testing::BrokerFixture {
  explicit PullFixture(bool long_polling = true) : mq::testing::BrokerFixture(long_polling) {
    RegisterPullProcessors(*ctx, table);
    RegisterOffsetProcessors(*ctx, table);
    RegisterQueryProcessors(*ctx, table);
    control->clients().Register(table);
  }
};

Command Pull(const std::string& topic, int32_t q, int64_t offset, int32_t sys_flag, const std::string& sub = "*",
             int64_t suspend_ms = 15000, int64_t commit = 0) {
  Command c = Command::Request(remoting::RequestCode::kPullMessage);
  c.opaque = 7;
  c.ext_fields.Set("consumerGroup", "G");
  c.ext_fields.Set("topic", topic);
  c.ext_fields.Set("queueId", std::to_string(q));
  c.ext_fields.Set("queueOffset", std::to_string(offset));
  c.ext_fields.Set("maxMsgNums", "32");
  c.ext_fields.Set("sysFlag", std::to_string(sys_flag));
  c.ext_fields.Set("commitOffset", std::to_string(commit));
  c.ext_fields.Set("suspendTimeoutMillis", std::to_string(suspend_ms));
  c.ext_fields.Set("subscription", sub);
  c.ext_fields.Set("subVersion", "0");
  c.ext_fields.Set("expressionType", "TAG");
  return c;
}

Command QueueReq(int32_t code, const std::string& topic, int32_t q) {
  Command c = Command::Request(code);
  c.opaque = 9;
  c.ext_fields.Set("consumerGroup", "G");
  c.ext_fields.Set("topic", topic);
  c.ext_fields.Set("queueId", std::to_string(q));
  return c;
}

void CheckPull(const Command& resp, int32_t code, int64_t next) {
  CHECK(resp.is_response());
  CHECK(resp.code == code);
  CHECK(Ext(resp, "nextBeginOffset") == std::to_string(next));
  CHECK(Ext(resp, "suggestWhichBrokerId") == "0");
}

}  // namespace


constexpr int32_t kSub = kPullFlagSubscription;

TEST_CASE("pull: spec 4.3 statuses, nextBeginOffset, bodies and tag filtering") {
  PullFixture f;
  f.CreateTopic("T", 4);
  auto conn = std::make_shared<FakeConnection>(1, 0);
  // Empty queue: offset 0 -> 19 (NO_MESSAGE_IN_QUEUE), offset 5 -> 21 with nextBeginOffset 0.
  Command r = f.Call(conn, Pull("T", 1, 0, kSub));
  CheckPull(r, 19, 0);
  CHECK(r.remark.value_or("") == "NO_MESSAGE_IN_QUEUE");
  CheckPull(f.Call(conn, Pull("T", 1, 5, kSub)), 21, 0);
  for (int i = 0; i < 10; ++i) f.Put(Record("T", 1, "m" + std::to_string(i), i % 2 ? "TagB" : "TagA"));
  r = f.Call(conn, Pull("T", 1, 0, kSub));
  CheckPull(r, 0, 10);
  CHECK(r.remark.value_or("") == "FOUND");
  CHECK(Ext(r, "minOffset") == "0");
  CHECK(Ext(r, "maxOffset") == "10");
  CHECK(Bodies(r.body) == std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"});
  r = f.Call(conn, Pull("T", 1, 3, kSub, "TagA || TagC"));
  CheckPull(r, 0, 10);
  CHECK(Bodies(r.body) == std::vector<std::string>{"m4", "m6", "m8"});
  CheckPull(f.Call(conn, Pull("T", 1, 9, kSub, "TagA")), 20, 10);   // NO_MATCHED_MESSAGE
  CheckPull(f.Call(conn, Pull("T", 1, 10, kSub)), 19, 10);          // OFFSET_OVERFLOW_ONE
  CheckPull(f.Call(conn, Pull("T", 1, 1025, kSub)), 21, 10);        // OFFSET_OVERFLOW_BADLY
  // The queue lives on one shard; a connection on the other shard gets the same answer there.
  auto other = std::make_shared<FakeConnection>(2, 1);
  CheckPull(f.Call(other, Pull("T", 1, 8, kSub)), 0, 10);
  CHECK(conn->wrong_shard() == 0);
  CHECK(other->wrong_shard() == 0);
}

TEST_CASE("pull: refusals in the reference order") {
  PullFixture f;
  f.CreateTopic("T", 2);
  f.CreateTopic("W", 2, 2);  // write-only
  auto conn = std::make_shared<FakeConnection>(1, 1);
  CHECK(f.Call(conn, Pull("NOPE", 0, 0, kSub)).code == 17);
  CHECK(f.Call(conn, Pull("W", 0, 0, kSub)).code == 16);
  Command r = f.Call(conn, Pull("T", 2, 0, kSub));
  CHECK(r.code == 1);
  CHECK(r.remark.value_or("").find("queueId[2] is illegal") != std::string::npos);
  CHECK(f.Call(conn, Pull("T", 0, 0, 0)).code == 24);  // no heartbeat subscription
  Command sql = Pull("T", 0, 0, kSub, "a > 1");
  sql.ext_fields.Set("expressionType", "SQL92");
  CHECK(f.Call(conn, sql).code == 1);
  CHECK(f.Call(conn, Pull("T", 0, 0, kSub, "||")).code == 23);
}

TEST_CASE("pull: a held pull is answered when a matching message arrives, and at its deadline") {
  PullFixture f;
  f.CreateTopic("T", 4);
  auto conn = std::make_shared<FakeConnection>(1, 0);
  const int32_t flags = kSub | kPullFlagSuspend;
  f.Dispatch(conn, Pull("T", 2, 0, flags, "TagA", 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(conn->count() == 0);  // held
  f.Put(Record("T", 2, "b0", "TagB"));  // wakes it, nothing matches: it keeps holding
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(conn->count() == 0);
  const auto start = Clock::now();
  f.Put(Record("T", 2, "a1", "TagA"));
  REQUIRE(WaitFor([&] { return conn->count() == 1; }, 3000));
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  CHECK(waited_ms < 2000);  // far below the 10 s suspend timeout
  Command r = conn->sent()[0];
  CheckPull(r, 0, 2);
  CHECK(Bodies(r.body) == std::vector<std::string>{"a1"});
  // Deadline: answered once with PULL_NOT_FOUND after ~300 ms.
  const auto t0 = Clock::now();
  f.Dispatch(conn, Pull("T", 2, 2, flags, "*", 300));
  REQUIRE(WaitFor([&] { return conn->count() == 2; }, 3000));
  const auto held_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  CHECK(held_ms >= 250);
  CheckPull(conn->sent()[1], 19, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(conn->count() == 2);
  uint32_t shard = f.store->ShardOf("T", 2);
  size_t held = 99;
  mq::testing::RunOn(*f.shards, shard, [&] { held = f.long_poll->held_count(); });
  CHECK(held == 0);
}

TEST_CASE("pull: short polling holds for shortPollingTimeMills") {
  PullFixture f(false);
  f.CreateTopic("T", 1);
  auto conn = std::make_shared<FakeConnection>(1, 1);
  const auto t0 = Clock::now();
  f.Dispatch(conn, Pull("T", 0, 0, kSub | kPullFlagSuspend, "*", 15000));
  REQUIRE(WaitFor([&] { return conn->count() == 1; }, 4000));
  const auto held_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  CHECK(held_ms >= 900);
  CheckPull(conn->sent()[0], 19, 0);
}

TEST_CASE("offsets: commit flag, 14/15 with the young-queue rule, 30/31/29/32") {
  PullFixture f;
  f.CreateTopic("T", 2);
  auto conn = std::make_shared<FakeConnection>(1, 0);
  namespace rc = remoting::RequestCode;
  Command q = f.Call(conn, QueueReq(rc::kQueryConsumerOffset, "T", 0));
  CHECK(q.code == 0);  // young (empty) queue
  CHECK(Ext(q, "offset") == "0");
  std::vector<int64_t> times;
  for (int i = 0; i < 5; ++i) {
    times.push_back(f.Put(Record("T", 0, "m" + std::to_string(i))).store_timestamp_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CheckPull(f.Call(conn, Pull("T", 0, 0, kSub | kPullFlagCommitOffset, "*", 0, 3)), 0, 5);
  CHECK(Ext(f.Call(conn, QueueReq(rc::kQueryConsumerOffset, "T", 0)), "offset") == "3");
  Command upd = QueueReq(rc::kUpdateConsumerOffset, "T", 0);
  upd.ext_fields.Set("commitOffset", "4");
  CHECK(f.Call(conn, upd).code == 0);
  upd.ext_fields.Set("commitOffset", "5");
  upd.flag = remoting::kFlagOneway;
  upd.opaque = 4242;
  f.Dispatch(conn, upd);
  REQUIRE(WaitFor([&] { return Ext(f.Call(conn, QueueReq(rc::kQueryConsumerOffset, "T", 0)), "offset") == "5"; }));
  for (const auto& c : conn->sent()) CHECK(c.opaque != 4242);  // a oneway request is never answered
  CHECK(Ext(f.Call(conn, QueueReq(rc::kGetMaxOffset, "T", 0)), "offset") == "5");
  CHECK(Ext(f.Call(conn, QueueReq(rc::kGetMinOffset, "T", 0)), "offset") == "0");
  CHECK(Ext(f.Call(conn, QueueReq(rc::kGetMaxOffset, "T", 1)), "offset") == "0");
  CHECK(Ext(f.Call(conn, QueueReq(rc::kGetEarliestMsgStoretime, "T", 0)), "timestamp") == std::to_string(times[0]));
  CHECK(Ext(f.Call(conn, QueueReq(rc::kGetEarliestMsgStoretime, "T", 1)), "timestamp") == "-1");
  auto search = [&](int64_t ts) {
    Command s = QueueReq(rc::kSearchOffsetByTimestamp, "T", 0);
    s.ext_fields.Set("timestamp", std::to_string(ts));
    return Ext(f.Call(conn, s), "offset");
  };
  CHECK(search(times[2]) == "2");
  CHECK(search(times[0] - 100000) == "0");
  CHECK(search(times[4] + 100000) == "4");  // the last message, not max
  CHECK(search(times[2] + 1) == (times[3] - times[2] > 2 ? "2" : "3"));
  CHECK(search(times[3] - 1) == (times[3] - times[2] > 2 ? "3" : "2"));
}

TEST_CASE("view by offset and query by key") {
  PullFixture f;
  f.CreateTopic("K", 2);
  auto conn = std::make_shared<FakeConnection>(1, 1);
  namespace rc = remoting::RequestCode;
  auto put = f.Put(Record("K", 1, "hello", "", "order-1 other"));
  f.Put(Record("K", 0, "world", "", "order-1"));
  Command view = Command::Request(rc::kViewMessageById);
  view.ext_fields.Set("offset", std::to_string(put.phys_offset));
  Command v = f.Call(conn, view);
  CHECK(v.code == 0);
  CHECK(Bodies(v.body) == std::vector<std::string>{"hello"});
  view.ext_fields.Set("offset", "999999999");
  v = f.Call(conn, view);
  CHECK(v.code == 1);
  CHECK(v.remark.value_or("") == "can not find message by the offset, 999999999");
  Command query = Command::Request(rc::kQueryMessage);
  query.ext_fields.Set("topic", "K");
  query.ext_fields.Set("key", "order-1");
  query.ext_fields.Set("maxNum", "32");
  query.ext_fields.Set("beginTimestamp", "0");
  query.ext_fields.Set("endTimestamp", std::to_string(INT64_MAX));
  Command found;
  REQUIRE(WaitFor([&] {
    found = f.Call(conn, query);
    return found.code == 0 && Bodies(found.body).size() == 2;
  }));
  auto bodies = Bodies(found.body);
  CHECK(std::set<std::string>(bodies.begin(), bodies.end()) == std::set<std::string>{"hello", "world"});
  CHECK(Ext(found, "indexLastUpdatePhyoffset") != "<absent>");
  CHECK(Ext(found, "indexLastUpdateTimestamp") != "<absent>");
  query.ext_fields.Set("key", "absent");
  Command none = f.Call(conn, query);
  CHECK(none.code == 22);
  CHECK(Ext(none, "indexLastUpdatePhyoffset") == "0");
  CHECK(conn->wrong_shard() == 0);
}

namespace {

using mq::testing::JavaFrame;

std::set<std::string> ExtNames(const Command& c) {
  std::set<std::string> out;
  for (const auto& [k, v] : c.ext_fields) out.insert(k);
  return out;
}

}  // namespace

TEST_CASE("captured Java consume requests get the captured codes and ext-field names") {
  PullFixture f;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"0026-client2broker-14.bin", "0027-broker2client-resp.bin"},
      {"0087-client2broker-31.bin", "0088-broker2client-resp.bin"},
      {"0089-client2broker-30.bin", "0090-broker2client-resp.bin"},
      {"0091-client2broker-11.bin", "0092-broker2client-resp.bin"},
      {"0093-client2broker-11.bin", "0094-broker2client-resp.bin"},
      {"0095-client2broker-12.bin", "0096-broker2client-resp.bin"},
      {"0101-client2broker-12.bin", "0102-broker2client-resp.bin"},
      {"0145-client2broker-14.bin", "0146-broker2client-resp.bin"},
      {"0164-client2broker-31.bin", "0165-broker2client-resp.bin"},
      {"0166-client2broker-30.bin", "0167-broker2client-resp.bin"},
      {"0168-client2broker-11.bin", "0169-broker2client-resp.bin"},
      {"0170-client2broker-11.bin", "0171-broker2client-resp.bin"},
      {"0172-client2broker-12.bin", "0173-broker2client-resp.bin"},
      {"0176-client2broker-12.bin", "0177-broker2client-resp.bin"},
  };
  // The data the captured broker had: 25 messages in each pull test queue, the queried keys.
  std::set<std::string> created;
  for (const auto& [req_name, resp_name] : pairs) {
    Command req = JavaFrame(req_name);
    const std::string topic = *req.ext_fields.Find("topic");
    if (created.insert(topic).second) {
      f.CreateTopic(topic, 4);
      if (topic.starts_with("acc_pull")) {
        for (int i = 0; i < 25; ++i) f.Put(Record(topic, 0, "p" + std::to_string(i)));
      }
    }
    if (req.code == remoting::RequestCode::kQueryMessage) {
      const std::string key = *req.ext_fields.Find("key");
      if (key.find("absent") == std::string::npos) f.Put(Record(topic, 1, "k-" + key, "", key));
    }
  }
  auto conn = std::make_shared<FakeConnection>(1, 1);
  for (const auto& [req_name, resp_name] : pairs) {
    CAPTURE(req_name);
    Command req = JavaFrame(req_name);
    const Command want = JavaFrame(resp_name);
    Command got;
    if (req.code == remoting::RequestCode::kQueryMessage && want.code == 0) {
      // The captured time range is the capture's; our records are stored now.
      req.ext_fields.Set("beginTimestamp", "0");
      req.ext_fields.Set("endTimestamp", std::to_string(INT64_MAX));
      REQUIRE(WaitFor([&] { return (got = f.Call(conn, req)).code == 0; }));  // the index follows dispatch
    } else {
      got = f.Call(conn, req);
    }
    CHECK(got.code == want.code);
    CHECK(got.opaque == req.opaque);
    CHECK(got.serialize_type == req.serialize_type);
    CHECK(ExtNames(got) == ExtNames(want));
    if (req.code != remoting::RequestCode::kQueryMessage) {
      CHECK(got.remark == want.remark);
      CHECK(got.ext_fields.size() == want.ext_fields.size());
      for (const auto& [k, v] : want.ext_fields) CHECK(Ext(got, k.c_str()) == v);  // same data, same values
    } else {
      CHECK(got.body.empty() == want.body.empty());
    }
  }
}
