// Helpers of the broker integration tests (broker_test.cc, broker_local_test.cc): start real
// name-server and broker processes with small stores, and speak raw remoting frames to them.
#pragma once
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/message_record.h"
#include "remoting/fastjson.h"
#include "remoting/frame.h"
#include "remoting/request_code.h"
#include "support/frame_conn.h"
#include "support/mq_process.h"

namespace mq::testing::broker_it {

using remoting::Command;
namespace rc = remoting::RequestCode;

constexpr int32_t kOk = 0;

inline std::unique_ptr<MqProcess> StartNamesrv(const TempDir& home, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--role=namesrv", "-p", "0", "--bind", "127.0.0.1", "--smp", "2",
                                   "--pid-file", home.path() + "/namesrv.pid"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<MqProcess>(args, home.path());
  REQUIRE_MESSAGE(p->started(), "mq --role=namesrv did not boot");
  return p;
}

// A broker with a small store under <home>/store; `extra` are more key=value overrides.
inline std::unique_ptr<MqProcess> StartBroker(const TempDir& home, const std::string& namesrv,
                                              std::vector<std::string> extra = {}, bool require = true) {
  std::vector<std::string> args = {"--role=broker", "-p", "0", "--bind", "127.0.0.1", "--smp", "2",
                                   "-n", namesrv, "--pid-file", home.path() + "/broker.pid",
                                   "brokerName=broker-t", "storePathRootDir=" + home.path() + "/store",
                                   "mappedFileSizeCommitLog=4194304", "mappedFileSizeConsumeQueue=6000"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<MqProcess>(args, home.path(), 20000);
  if (require) REQUIRE_MESSAGE(p->started(), "mq --role=broker did not boot");
  return p;
}

inline Command Req(int32_t code, std::vector<std::pair<std::string, std::string>> fields = {}) {
  static std::atomic<int32_t> opaque{5000};
  Command c = Command::Request(code);
  c.opaque = ++opaque;
  for (auto& [k, v] : fields) c.ext_fields.Set(k, v);
  return c;
}

inline std::optional<Command> Call(FrameConn& conn, const Command& req, int timeout_ms = 8000) {
  if (!conn.Send(req)) return std::nullopt;
  return conn.Read(timeout_ms);
}

inline std::string Field(const Command& c, const std::string& key) {
  const std::string* v = c.ext_fields.Find(key);
  return v ? *v : std::string();
}

inline std::optional<Command> Route(uint16_t ns_port, const std::string& topic) {
  FrameConn c(ns_port);
  return Call(c, Req(rc::kGetRouteinfoByTopic, {{"topic", topic}}));
}

// Polls the name server until `topic`'s route names `broker_addr` (or timeout_ms passes).
inline bool WaitForRoute(uint16_t ns_port, const std::string& topic, const std::string& broker_addr, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Route(ns_port, topic);
    if (r && r->code == kOk && r->body.find(broker_addr) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

inline Command SendV2(const std::string& topic, int32_t queue_id, const std::string& body, const std::string& tags = "TagA",
               const std::string& keys = "k1") {
  std::string props = "KEYS\x01" + keys + "\x02TAGS\x01" + tags + "\x02WAIT\x01true\x02";
  return Req(rc::kSendMessageV2, {{"a", "broker_test_producer"}, {"b", topic}, {"c", "TBW102"}, {"d", "4"},
                                  {"e", std::to_string(queue_id)}, {"f", "0"}, {"g", "1700000000000"}, {"h", "0"},
                                  {"i", props}, {"j", "0"}, {"k", "false"}, {"m", "false"}});
}

inline Command WithBody(Command c, std::string body) {
  c.body = std::move(body);
  return c;
}

inline Command PullReq(const std::string& topic, int32_t queue_id, int64_t offset, int32_t max = 32) {
  return Req(rc::kPullMessage, {{"consumerGroup", "broker_test_consumer"}, {"topic", topic},
                                {"queueId", std::to_string(queue_id)}, {"queueOffset", std::to_string(offset)},
                                {"maxMsgNums", std::to_string(max)}, {"sysFlag", "4"}, {"commitOffset", "0"},
                                {"suspendTimeoutMillis", "0"}, {"subscription", "*"}, {"subVersion", "0"},
                                {"expressionType", "TAG"}});
}

// Records of a pull answer body (stored-record layout, back to back).
inline std::vector<model::MessageRecord> Records(const std::string& body) {
  std::vector<model::MessageRecord> out;
  size_t pos = 0;
  while (pos + 4 <= body.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(body.data()) + pos;
    const uint32_t size = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    if (size == 0 || pos + size > body.size()) break;
    auto rec = model::DecodeRecord(p, size, true);
    if (!rec.ok()) break;
    out.push_back(std::move(rec).value());
    pos += size;
  }
  return out;
}

// Every message of queue `queue_id` from offset 0 (several pulls).
inline std::vector<model::MessageRecord> PullAll(FrameConn& conn, const std::string& topic, int32_t queue_id) {
  std::vector<model::MessageRecord> all;
  int64_t offset = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = Call(conn, PullReq(topic, queue_id, offset));
    if (!r || r->code != kOk) break;
    auto recs = Records(r->body);
    if (recs.empty()) break;
    offset = recs.back().queue_offset + 1;
    for (auto& rec : recs) all.push_back(std::move(rec));
  }
  return all;
}

inline Command CreateTopic(const std::string& topic, int queues = 4) {
  return Req(rc::kUpdateAndCreateTopic, {{"topic", topic}, {"defaultTopic", "TBW102"},
                                         {"readQueueNums", std::to_string(queues)},
                                         {"writeQueueNums", std::to_string(queues)}, {"perm", "6"},
                                         {"topicFilterType", "SINGLE_TAG"}, {"topicSysFlag", "0"}, {"order", "false"}});
}

}  // namespace mq::testing::broker_it

