// What the client sends, field by field against the Java 4.9.8 client's captured requests.
#include <doctest/doctest.h>

#include "client/protocol.h"
#include "fixture.h"
#include "remoting/fastjson.h"

using mq::MessageQueue;
using namespace mq::client;
using mq::client::test::Fields;
using mq::client::test::LoadFrame;

namespace {

// Every field of the Java request exists in ours with the same value, and vice versa.
void CheckSameFields(const mq::remoting::Command& ours, const mq::remoting::Command& java) {
  CHECK(ours.code == java.code);
  auto a = Fields(ours);
  auto b = Fields(java);
  b.erase("ReqT");  // added by the capture harness's RPC hook, not by the client
  for (const auto& [k, v] : b) {
    INFO("field " << k);
    REQUIRE(a.count(k) == 1);
    CHECK(a[k] == v);
  }
  CHECK(a.size() == b.size());
}

}  // namespace

TEST_CASE("SEND_MESSAGE_V2 (310) matches the Java client's request") {
  for (const char* file : {"0009-client2broker-310.bin", "0137-client2broker-310.bin"}) {
    const auto java = LoadFrame(file);
    const auto f = Fields(java);
    SendHeader h;
    h.producer_group = f.at("a");
    h.topic = f.at("b");
    h.default_topic_queue_nums = 4;
    h.queue_id = std::stoi(f.at("e"));
    h.born_timestamp_ms = std::stoll(f.at("g"));
    h.properties = f.at("i");
    h.broker_name = f.at("n");
    const auto ours = BuildSendRequest(h, java.body);
    CheckSameFields(ours, java);
    CHECK(ours.body == java.body);
  }
}

TEST_CASE("SEND_BATCH_MESSAGE (320) header matches the Java client's") {
  const auto java = LoadFrame("0071-client2broker-320.bin");
  const auto f = Fields(java);
  SendHeader h;
  h.producer_group = f.at("a");
  h.topic = f.at("b");
  h.queue_id = std::stoi(f.at("e"));
  h.born_timestamp_ms = std::stoll(f.at("g"));
  h.properties = "WAIT\001true";
  h.batch = true;
  h.broker_name = f.at("n");
  CheckSameFields(BuildSendRequest(h, ""), java);
}

TEST_CASE("send responses become SendResult fields; failures keep code and remark") {
  const auto resp = LoadFrame("0011-broker2client-resp.bin");
  auto r = ParseSendResponse(resp);
  REQUIRE(r.ok());
  CHECK(r->offset_msg_id == "7F000001000078BF000000004495901E");
  CHECK(r->queue_id == 0);
  CHECK(r->queue_offset == 0);
  mq::remoting::Command bad;
  bad.code = 17;
  bad.remark = "topic[x] not exist, apply first please!";
  auto e = ParseSendResponse(bad);
  REQUIRE(!e.ok());
  CHECK(mq::ToInt(e.status().code()) == 17);
  CHECK(e.status().remark().find("apply first") != std::string::npos);
}

TEST_CASE("PULL_MESSAGE (11) matches the push consumer's and the pull consumer's requests") {
  {
    const auto java = LoadFrame("0034-client2broker-11.bin");
    const auto f = Fields(java);
    PullHeader h;
    h.consumer_group = f.at("consumerGroup");
    h.topic = f.at("topic");
    h.queue_id = 2;
    h.queue_offset = 0;
    h.sys_flag = kPullSuspend;
    h.sub_version = std::stoll(f.at("subVersion"));
    h.broker_name = "broker-a";
    CheckSameFields(BuildPullRequest(h), java);
  }
  {
    const auto java = LoadFrame("0091-client2broker-11.bin");
    const auto f = Fields(java);
    PullHeader h;
    h.consumer_group = f.at("consumerGroup");
    h.topic = f.at("topic");
    h.queue_id = 0;
    h.queue_offset = 25;
    h.sys_flag = kPullSubscription;
    h.suspend_timeout_ms = 20000;
    h.subscription = "*";
    h.broker_name = "broker-a";
    CheckSameFields(BuildPullRequest(h), java);
  }
}

TEST_CASE("pull responses: FOUND with body, and the offsets of an empty answer") {
  auto found = ParsePullResponse(LoadFrame("0037-broker2client-resp.bin"));
  REQUIRE(found.ok());
  CHECK(found->code == 0);
  CHECK(found->next_begin_offset == 32);
  CHECK(found->max_offset == 50);
  CHECK(found->body.size() == 15439);
  auto none = ParsePullResponse(LoadFrame("0092-broker2client-resp.bin"));
  REQUIRE(none.ok());
  CHECK(none->next_begin_offset == 25);
}

TEST_CASE("offset requests 14, 15, 30 match the Java client's") {
  const MessageQueue sync_q{"acc_sync_1795477156771_27574", "broker-a", 2};
  CheckSameFields(BuildQueryConsumerOffset("acc_sync_c_1795477156771_27574", sync_q),
                  LoadFrame("0026-client2broker-14.bin"));
  const auto upd = LoadFrame("0045-client2broker-15.bin");
  CheckSameFields(BuildUpdateConsumerOffset("acc_sync_c_1795477156771_27574", sync_q, 50), upd);
  CHECK(upd.is_oneway());
  CheckSameFields(BuildGetMaxOffset({"acc_pull_1795477156771_27574", "broker-a", 0}),
                  LoadFrame("0089-client2broker-30.bin"));
  auto off = ParseOffsetResponse(LoadFrame("0090-broker2client-resp.bin"));
  REQUIRE(off.ok());
  CHECK(off.value() == 25);
}

TEST_CASE("GET_CONSUMER_LIST_BY_GROUP (38) and UNREGISTER_CLIENT (35)") {
  CheckSameFields(BuildGetConsumerList("acc_sync_c_1795477156771_27574"), LoadFrame("0022-client2broker-38.bin"));
  auto ids = ParseConsumerIdList(LoadFrame("0023-broker2client-resp.bin"));
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 1);
  CHECK(ids->front() == "192.0.2.2@acc_sync_c_1795477156771_27574");
  CheckSameFields(BuildUnregisterClient("192.0.2.2@acc_sync_c_1795477156771_27574", "",
                                        "acc_sync_c_1795477156771_27574"),
                  LoadFrame("0049-client2broker-35.bin"));
}

TEST_CASE("CONSUMER_SEND_MSG_BACK (36) matches the Java client's") {
  const auto java = LoadFrame("0103-client2broker-36.bin");
  const auto f = Fields(java);
  SendBackHeader h;
  h.offset = std::stoll(f.at("offset"));
  h.group = f.at("group");
  h.origin_msg_id = f.at("originMsgId");
  h.origin_topic = f.at("originTopic");
  h.broker_name = "broker-a";
  CheckSameFields(BuildConsumerSendMsgBack(h), java);
}

TEST_CASE("HEART_BEAT (34) bodies are byte-identical to Java's") {
  HeartbeatData p;
  p.client_id = "192.0.2.2@acc_sync_p_1795477156771_27574";
  p.producer_groups = {"acc_sync_p_1795477156771_27574", kClientInnerProducer};
  const auto java_p = LoadFrame("0014-client2broker-34.bin");
  CHECK(EncodeHeartbeat(p) == java_p.body);
  CHECK(BuildHeartbeat(p).ext_fields.empty());

  HeartbeatData c;
  c.client_id = "192.0.2.2@acc_sync_c_1795477156771_27574";
  c.producer_groups = {kClientInnerProducer};
  ConsumerData cd;
  cd.group = "acc_sync_c_1795477156771_27574";
  cd.consume_from_where = "CONSUME_FROM_FIRST_OFFSET";
  cd.subscriptions.push_back({"%RETRY%acc_sync_c_1795477156771_27574", "*", {}, 1795477159396});
  cd.subscriptions.push_back({"acc_sync_1795477156771_27574", "*", {}, 1795477159394});
  c.consumers.push_back(cd);
  CHECK(EncodeHeartbeat(c) == LoadFrame("0018-client2broker-34.bin").body);
}

TEST_CASE("heartbeat tag subscriptions carry tagsSet and Java hash codes") {
  HeartbeatData c;
  c.client_id = "x";
  ConsumerData cd;
  cd.group = "g";
  cd.subscriptions.push_back({"T", "TagA || TagB", ParseTagExpression("TagA || TagB"), 1});
  c.consumers.push_back(cd);
  const std::string body = EncodeHeartbeat(c);
  CHECK(body.find("\"codeSet\":[2598919,2598920]") != std::string::npos);
  CHECK(body.find("\"tagsSet\":[\"TagA\",\"TagB\"]") != std::string::npos);
}

TEST_CASE("LOCK_BATCH_MQ (41) body and answer") {
  const auto java = LoadFrame("0077-client2broker-41.bin");
  const MessageQueue q{"acc_orderly_1795477156771_27574", "broker-a", 0};
  CHECK(EncodeLockBatchBody("192.0.2.2@acc_orderly_c_1795477156771_27574", "acc_orderly_c_1795477156771_27574",
                            {q}) == java.body);
  CHECK(Fields(java).empty());
  auto locked = ParseLockBatchResponse(LoadFrame("0078-broker2client-resp.bin").body);
  REQUIRE(locked.ok());
  REQUIRE(locked->size() == 1);
  CHECK(locked->front() == q);
}

TEST_CASE("tag expressions") {
  CHECK(ParseTagExpression("*").empty());
  CHECK(ParseTagExpression("").empty());
  CHECK(ParseTagExpression(" TagA ||TagB|| ||TagA") == std::vector<std::string>{"TagA", "TagB"});
}
