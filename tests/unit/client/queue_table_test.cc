// Tables keyed by MessageQueue objects (fastjson object keys): the broker's ResetOffsetBody,
// Java's broadcasting offsets file, and the running info answer.
#include <doctest/doctest.h>

#include "client/queue_table.h"

using mq::MessageQueue;
using namespace mq::client;

TEST_CASE("a ResetOffsetBody from the broker gives the new offset of each queue") {
  const std::string body =
      R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:12,)"
      R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:0,{"brokerName":"b\"x","queueId":3,"topic":"T"}:-1}})";
  auto t = ParseQueueOffsetTable(body);
  REQUIRE(t.ok());
  CHECK(t->size() == 3);
  CHECK(t->at(MessageQueue{"T", "broker-a", 0}) == 12);
  CHECK(t->at(MessageQueue{"T", "broker-a", 1}) == 0);
  CHECK(t->at(MessageQueue{"T", "b\"x", 3}) == -1);
}

TEST_CASE("Java's pretty-printed offsets file parses (tabs, newlines, spaces around ':')") {
  const std::string file =
      "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":2,\n\t\t\t\"topic\":\"Orders\"\n"
      "\t\t}:1234567890123,{\n\t\t\t\"brokerName\":\"broker-b\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"Orders\"\n"
      "\t\t} : 7\n\t}\n}";
  auto t = ParseQueueOffsetTable(file);
  REQUIRE(t.ok());
  CHECK(t->size() == 2);
  CHECK(t->at(MessageQueue{"Orders", "broker-a", 2}) == 1234567890123);
  CHECK(t->at(MessageQueue{"Orders", "broker-b", 0}) == 7);
}

TEST_CASE("encoding writes Java's layout and reads back") {
  std::map<MessageQueue, int64_t> in{{MessageQueue{"T", "broker-a", 0}, 12}, {MessageQueue{"T", "broker-a", 1}, 3}};
  const std::string text = EncodeQueueOffsetTable(in);
  CHECK(text ==
        R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:12,)"
        R"({"brokerName":"broker-a","queueId":1,"topic":"T"}:3}})");
  auto back = ParseQueueOffsetTable(text);
  REQUIRE(back.ok());
  CHECK(back.value() == in);
  CHECK(ParseQueueOffsetTable(EncodeQueueOffsetTable({})).value().empty());
}

TEST_CASE("malformed tables are errors, an absent one is empty") {
  CHECK(ParseQueueOffsetTable("{}").value().empty());
  CHECK(ParseQueueOffsetTable(R"({"offsetTable":null})").value().empty());
  CHECK(!ParseQueueOffsetTable(R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:)").ok());
  CHECK(!ParseQueueOffsetTable(R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:"x"}})").ok());
  CHECK(!ParseQueueOffsetTable(R"({"offsetTable":{"T":1}})").ok());
  CHECK(!ParseQueueOffsetTable(R"({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:99999999999999999999}})").ok());
  CHECK(!ParseQueueOffsetTable(R"({"offsetTable":[{"brokerName":"b"}]})").ok());
}

TEST_CASE("running info uses Java's ConsumerRunningInfo field names") {
  RunningInfo info;
  info.properties["PROP_CONSUMEORDERLY"] = "false";
  SubscriptionData s;
  s.topic = "T";
  s.sub_string = "TagA";
  s.tags = {"TagA"};
  info.subscriptions.push_back(s);
  QueueRunningInfo q;
  q.commit_offset = 7;
  info.queues[MessageQueue{"T", "broker-a", 3}] = q;
  const std::string body = EncodeRunningInfo(info);
  CHECK(body.find(R"("mqTable":{{"brokerName":"broker-a","queueId":3,"topic":"T"}:{"cachedMsgCount":0)") !=
        std::string::npos);
  CHECK(body.find(R"("commitOffset":7)") != std::string::npos);
  CHECK(body.find(R"("properties":{"PROP_CONSUMEORDERLY":"false"})") != std::string::npos);
  CHECK(body.find(R"("statusTable":{"T":{"consumeFailedMsgs":0)") != std::string::npos);
  CHECK(body.find(R"("subscriptionSet":[{"classFilterMode":false)") != std::string::npos);
  CHECK(body.find(R"("topic":"T"}])") != std::string::npos);
  // The mqTable keys parse like any other queue-keyed table.
  auto keys = ParseQueueOffsetTable(R"({"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"T"}:7}})");
  CHECK(keys.ok());
}
