// The produce path: SEND headers of every captured client decoded and built into records that match
// what the real 4.9.8 broker stored (fixture store), DLQ / delay / half-message rewrites, every
// MESSAGE_ILLEGAL case, the send answers against the captured ones, send-back planning, and delayed
// delivery on a real 2-shard store.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "broker/processors/message_builder.h"
#include "broker/processors/send_back_processor.h"
#include "broker/processors/send_processor.h"
#include "broker/schedule/schedule_service.h"
#include "model/batch.h"
#include "model/message_id.h"
#include "remoting/frame.h"
#include "support/fixture_frames.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"

using namespace mq;
using namespace mq::broker;
using remoting::Command;
using mq::testing::FixtureFrame;
using mq::testing::ReadFileBytes;
namespace fs = std::filesystem;

namespace {

fs::path Fixtures() { return fs::path(mq::testing::FixturesDir()); }
Command Java(const std::string& name) { return mq::testing::JavaFrame(name); }

std::vector<std::string> Keys(std::string_view encoded) {
  std::vector<std::string> out;
  const model::MessageProperties props = model::MessageProperties::Parse(encoded);
  for (const auto& e : props.entries()) out.push_back(e.first);
  return out;
}
// The record the fixture store holds at `phys` (first commit-log file).
model::MessageRecord Stored(int64_t phys) {
  static const std::string log = ReadFileBytes(Fixtures() / "store-4.9.8/store/commitlog/00000000000000000000");
  REQUIRE(static_cast<size_t>(phys) < log.size());
  auto r = model::DecodeRecord(reinterpret_cast<const uint8_t*>(log.data()) + phys, log.size() - phys, true);
  REQUIRE(r.ok());
  return *r;
}

TopicConfig Topic(const std::string& name, int32_t queues = 4) {
  TopicConfig t;
  t.topic_name = name;
  t.read_queue_nums = t.write_queue_nums = queues;
  return t;
}
BuildOptions Options(const std::string& cluster = "DefaultCluster") {
  BuildOptions o;
  o.cluster_name = cluster;
  o.born_host = model::HostAddress::V4(10, 0, 0, 1, 50000);
  o.store_host = model::HostAddress::V4(127, 0, 0, 1, 30911);
  return o;
}
BuiltSend Build(const Command& req, const TopicConfig& topic, int32_t queue, const BuildOptions& o = Options(),
                const std::string& dlq = "") {
  auto h = DecodeSendHeader(req);
  REQUIRE(h.ok());
  REQUIRE(ValidateSendRequest(*h, req.body, 4194304).ok());
  auto built = BuildSendRecords(*h, req.body, SendTarget{&topic, queue, dlq}, o);
  REQUIRE_MESSAGE(built.ok(), built.status().ToString());
  return std::move(built).value();
}

std::vector<fs::path> ClientSendFrames() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(Fixtures() / "clients")) {
    const std::string n = e.path().filename().string();
    if (n.find("_SEND_MESSAGE") != std::string::npos || n.find("_SEND_BATCH_MESSAGE") != std::string::npos) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("java 310 single send: stored properties equal the real broker's (CLUSTER in, WAIT out, HashMap order)") {
  const Command req = Java("0009-client2broker-310.bin");
  const TopicConfig topic = Topic("acc_sync_1795477156771_27574");
  const BuiltSend b = Build(req, topic, 0, Options("FixtureCluster"));
  REQUIRE(b.records.size() == 1);
  const model::MessageRecord& r = b.records[0];
  CHECK(b.wait_store_ok);
  CHECK(r.topic == topic.topic_name);
  CHECK(r.queue_id == 0);
  CHECK(r.body == req.body);
  CHECK(r.born_timestamp_ms == 1795477158235);
  CHECK(r.born_host == model::HostAddress::V4(10, 0, 0, 1, 50000));
  CHECK(r.sys_flag == 0);
  CHECK_FALSE(model::FindProperty(r.properties, model::kWait).has_value());
  CHECK(model::FindProperty(r.properties, model::kCluster) == "FixtureCluster");
  // The fixture store's first record came from the same client code with the same keys.
  const model::MessageRecord stored = Stored(0);
  std::string got_keys, want_keys;
  for (auto& k : Keys(r.properties)) got_keys += k + ",";
  for (auto& k : Keys(stored.properties)) want_keys += k + ",";
  const std::string keys_msg = got_keys + " vs " + want_keys;
  CHECK_MESSAGE(got_keys == want_keys, keys_msg);
  CHECK(r.sys_flag == stored.sys_flag);
}

TEST_CASE("java 320 batch: one record per entry, header properties + CLUSTER appended like the real broker") {
  const Command req = Java("0071-client2broker-320.bin");
  const BuiltSend b = Build(req, Topic("acc_batch_1795477156771_27574"), 3, Options("FixtureCluster"));
  auto entries = model::DecodeBatch(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size(), 1000);
  REQUIRE(entries.ok());
  REQUIRE(b.records.size() == entries->size());
  CHECK(b.response_queue_id == 3);
  // Stored batch record of the fixture store (offset of the first acc_batch record).
  const std::string suffix = std::string("\x02" "CLUSTER\x01" "FixtureCluster\x02" "WAIT\x01" "true");
  for (size_t i = 0; i < b.records.size(); ++i) {
    CHECK(b.records[i].queue_id == 3);
    CHECK(b.records[i].body == (*entries)[i].body);
    CHECK(b.records[i].properties == std::string((*entries)[i].properties) + suffix);
  }
}

TEST_CASE("the fixture store's batch records end with the appended batch properties") {
  // Find the first acc_batch record by walking the manifest-free way: scan records from 0.
  const std::string log = ReadFileBytes(Fixtures() / "store-4.9.8/store/commitlog/00000000000000000000");
  size_t pos = 0;
  bool found = false;
  while (pos + 8 < log.size()) {
    auto view = model::RecordView::Parse(reinterpret_cast<const uint8_t*>(log.data()) + pos, log.size() - pos, false);
    if (!view.ok()) break;
    if (view->topic().starts_with("acc_batch")) {
      CHECK(std::string(view->properties()).ends_with("\x02" "CLUSTER\x01" "FixtureCluster\x02" "WAIT\x01" "true"));
      found = true;
      break;
    }
    pos += view->size_bytes();
  }
  CHECK(found);
}

TEST_CASE("every captured client SEND decodes and builds") {
  const auto frames = ClientSendFrames();
  CHECK(frames.size() >= 20);
  size_t batches = 0;
  for (const auto& p : frames) {
    CAPTURE(p.string());
    const Command req = FixtureFrame(p);
    auto h = DecodeSendHeader(req);
    REQUIRE_MESSAGE(h.ok(), h.status().ToString());
    CHECK(!h->topic.empty());
    const TopicConfig topic = Topic(h->topic, 8);
    const BuiltSend b = Build(req, topic, std::max(h->queue_id, 0));
    CHECK(!b.records.empty());
    for (const auto& r : b.records) {
      CHECK(model::FindProperty(r.properties, model::kCluster) == "DefaultCluster");
      if (!h->batch) CHECK_FALSE(model::FindProperty(r.properties, model::kWait).has_value());
    }
    if (h->batch) ++batches;
  }
  CHECK(batches >= 2);  // cpp 310 m=true and go 320
}

TEST_CASE("cpp batch on 310 with m=true and go 320 batch are batches") {
  const Command cpp = FixtureFrame(Fixtures() / "clients/cpp/batch_producer/0002_broker_310_SEND_MESSAGE_V2.bin");
  auto h = DecodeSendHeader(cpp);
  REQUIRE(h.ok());
  CHECK(h->batch);
  CHECK(h->max_reconsume_times == 16);
  CHECK(Build(cpp, Topic("T"), 0).records.size() > 1);
  const Command go = FixtureFrame(Fixtures() / "clients/go/producer_batch/0002_broker_320_SEND_BATCH_MESSAGE.bin");
  const BuiltSend b = Build(go, Topic("test"), 1);
  CHECK(b.records.size() > 1);
  for (const auto& r : b.records) CHECK(std::string(r.properties).ends_with("CLUSTER\x01" "DefaultCluster"));
}

TEST_CASE("go SEND_MESSAGE long names; ali-ons numbers and booleans") {
  const Command go = FixtureFrame(Fixtures() / "clients/go/gosend_gorecv/0002_broker_10_SEND_MESSAGE.bin");
  auto g = DecodeSendHeader(go);
  REQUIRE(g.ok());
  CHECK(g->topic == "T");
  CHECK(g->queue_id == 1);
  CHECK(g->producer_group == "GoPG");
  CHECK_FALSE(g->batch);
  const Command ali = FixtureFrame(Fixtures() / "clients/ali-ons/produce_consume/0042_broker_310_SEND_MESSAGE_V2.bin");
  auto a = DecodeSendHeader(ali);
  REQUIRE(a.ok());
  CHECK(a->default_topic_queue_nums == 4);
  CHECK(a->born_timestamp_ms == 1795475579584);
  CHECK_FALSE(a->unit_mode);
  CHECK_FALSE(a->max_reconsume_times.has_value());
}

TEST_CASE("delay rewrite: ali-ons DELAY=3 parks in SCHEDULE_TOPIC_XXXX queue 2; levels clamp") {
  const Command ali = FixtureFrame(Fixtures() / "clients/ali-ons/produce_consume/0042_broker_310_SEND_MESSAGE_V2.bin");
  const BuiltSend b = Build(ali, Topic("T"), 0);
  const model::MessageRecord& r = b.records[0];
  CHECK(r.topic == "SCHEDULE_TOPIC_XXXX");
  CHECK(r.queue_id == 2);
  CHECK(model::FindProperty(r.properties, model::kRealTopic) == "T");
  CHECK(model::FindProperty(r.properties, model::kRealQid) == "0");
  CHECK(model::FindProperty(r.properties, model::kDelay) == "3");
  CHECK(b.response_queue_id == 0);

  Command big = ali;
  big.ext_fields.Set("i", std::string("DELAY\x01" "99"));
  const BuiltSend c = Build(big, Topic("T"), 1);
  CHECK(c.records[0].queue_id == 17);
  CHECK(model::FindProperty(c.records[0].properties, model::kDelay) == "18");
}

TEST_CASE("retry send past max goes to the DLQ, queue 0, no delay; answer keeps the original queue") {
  Command req = Java("0009-client2broker-310.bin");
  req.ext_fields.Set("b", "%RETRY%G");
  req.ext_fields.Set("i", std::string("DELAY\x01" "3\x02" "RETRY_TOPIC\x01" "T"));
  req.ext_fields.Set("j", "16");
  CHECK(ResolveMaxReconsumeTimes(16, 409, 3) == 16);
  CHECK(ResolveMaxReconsumeTimes(16, 120, 3) == 3);
  CHECK(ResolveMaxReconsumeTimes(std::nullopt, 409, 3) == 3);
  const BuiltSend b = Build(req, Topic("%RETRY%G", 1), 0, Options(), "%DLQ%G");
  CHECK(b.records[0].topic == "%DLQ%G");
  CHECK(b.records[0].queue_id == 0);
  CHECK(b.records[0].reconsume_times == 16);
  CHECK_FALSE(model::FindProperty(b.records[0].properties, model::kDelay).has_value());
}

TEST_CASE("MULTI_TAG topics set the sysflag bit; transactional sends become half messages") {
  TopicConfig multi = Topic("M");
  multi.topic_filter_type = TopicFilterType::kMultiTag;
  CHECK(Build(Java("0009-client2broker-310.bin"), multi, 0).records[0].sys_flag == model::sysflag::kMultiTags);
  const Command tx = FixtureFrame(Fixtures() / "clients/go/producer_transaction/0002_broker_10_SEND_MESSAGE.bin");
  const BuiltSend b = Build(tx, Topic("TopicTest5"), 1);
  CHECK(b.records[0].topic == "RMQ_SYS_TRANS_HALF_TOPIC");
  CHECK(b.records[0].sys_flag == 0);
  CHECK(model::FindProperty(b.records[0].properties, model::kRealTopic) == "TopicTest5");
  auto h = DecodeSendHeader(tx);
  BuildOptions reject = Options();
  reject.reject_transaction_message = true;
  const TopicConfig t = Topic("TopicTest5");
  auto refused = BuildSendRecords(*h, tx.body, SendTarget{&t, 1, ""}, reject);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == ResponseCode::kNoPermission);
}

TEST_CASE("validation: every MESSAGE_ILLEGAL case and the SYSTEM_ERROR ones") {
  const Command base = Java("0009-client2broker-310.bin");
  auto h = DecodeSendHeader(base);
  REQUIRE(h.ok());
  CHECK(ValidateSendRequest(*h, "", 4194304).code() == ResponseCode::kMessageIllegal);
  CHECK(ValidateSendRequest(*h, std::string(11, 'x'), 10).code() == ResponseCode::kMessageIllegal);
  SendHeader long_props = *h;
  long_props.properties = "K\x01" + std::string(32767, 'v');
  CHECK(ValidateSendRequest(long_props, "x", 4194304).code() == ResponseCode::kMessageIllegal);
  SendHeader bad_topic = *h;
  bad_topic.topic = "bad topic!";
  CHECK(ValidateSendRequest(bad_topic, "x", 4194304).code() == ResponseCode::kSystemError);
  bad_topic.topic = std::string(128, 'a');
  CHECK(ValidateSendRequest(bad_topic, "x", 4194304).code() == ResponseCode::kSystemError);

  Command missing = base;
  missing.ext_fields.Erase("b");
  CHECK_FALSE(DecodeSendHeader(missing).ok());
  Command bad_number = base;
  bad_number.ext_fields.Set("e", "x1");
  CHECK(DecodeSendHeader(bad_number).status().code() == ResponseCode::kSystemError);

  const Command batch = Java("0071-client2broker-320.bin");
  auto bh = DecodeSendHeader(batch);
  REQUIRE(bh.ok());
  const TopicConfig t = Topic("acc_batch");
  auto check_illegal = [&](SendHeader hh, std::string body) {
    auto r = BuildSendRecords(hh, body, SendTarget{&t, 0, ""}, Options());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ResponseCode::kMessageIllegal);
    CHECK(!r.status().remark().empty());
  };
  SendHeader delayed = *bh;
  delayed.properties = std::string("DELAY\x01" "2");
  check_illegal(delayed, batch.body);
  SendHeader tran = *bh;
  tran.sys_flag = 4;
  check_illegal(tran, batch.body);
  SendHeader retry = *bh;
  retry.topic = "%RETRY%G";
  check_illegal(retry, batch.body);
  check_illegal(*bh, batch.body.substr(0, batch.body.size() - 3));  // truncated entry
}

TEST_CASE("send answers carry the captured ext fields in the captured member order") {
  BrokerConfig config;
  store::PutResult ok;
  ok.status = store::PutStatus::kOk;
  ok.phys_offset = 0x4495901E;
  ok.record_offsets = {0x4495901E};
  const Command req = Java("0009-client2broker-310.bin");
  const Command captured = Java("0011-broker2client-resp.bin");
  const Command resp = SendResponse(req, config, "127.0.0.1:30911", 0, ok);
  CHECK(resp.code == captured.code);
  CHECK(resp.opaque == captured.opaque);
  std::vector<std::pair<std::string, std::string>> got(resp.ext_fields.begin(), resp.ext_fields.end());
  std::vector<std::pair<std::string, std::string>> want(captured.ext_fields.begin(), captured.ext_fields.end());
  CHECK(got == want);
  CHECK(remoting::EncodeFrame(resp) == ReadFileBytes(Fixtures() / "java-4.9.8/0011-broker2client-resp.bin"));

  const Command bin_req = Java("0137-client2broker-310.bin");
  const Command bin_captured = Java("0138-broker2client-resp.bin");
  ok.phys_offset = 0x44A02027;
  ok.record_offsets = {0x44A02027};
  const Command bin = SendResponse(bin_req, config, "127.0.0.1:30911", 3, ok);
  std::vector<std::pair<std::string, std::string>> bgot(bin.ext_fields.begin(), bin.ext_fields.end());
  std::vector<std::pair<std::string, std::string>> bwant(bin_captured.ext_fields.begin(), bin_captured.ext_fields.end());
  CHECK(bgot == bwant);

  ok.record_offsets = {1, 2};
  const Command batch = SendResponse(req, config, "127.0.0.1:30911", 0, ok);
  CHECK(*batch.ext_fields.Find("msgId") == model::MakeOffsetMsgId(model::HostAddress::V4(127, 0, 0, 1, 30911), 1) +
                                               "," + model::MakeOffsetMsgId(model::HostAddress::V4(127, 0, 0, 1, 30911), 2));
  store::PutResult bad;
  bad.status = store::PutStatus::kServiceNotAvailable;
  const Command err = SendResponse(req, config, "127.0.0.1:30911", 0, bad);
  CHECK(err.code == 14);
  CHECK(err.ext_fields.Find("MSG_REGION") != nullptr);
  CHECK(err.ext_fields.Find("msgId") == nullptr);
  CHECK(SendCodeOf(store::PutStatus::kFlushDiskTimeout) == ResponseCode::kFlushDiskTimeout);
  CHECK(SendCodeOf(store::PutStatus::kMessageIllegal) == ResponseCode::kMessageIllegal);
  CHECK(SendCodeOf(store::PutStatus::kUnknownError) == ResponseCode::kSystemError);
}

TEST_CASE("send-back: plan and the new record (7.8)") {
  CHECK(PlanSendBack(0, 16, 0).delay_level == 3);
  CHECK(PlanSendBack(5, 16, 0).delay_level == 8);
  CHECK(PlanSendBack(5, 16, 2).delay_level == 2);
  CHECK(PlanSendBack(16, 16, 0).to_dlq);
  CHECK(PlanSendBack(0, 16, -1).to_dlq);
  model::MessageRecord original = Stored(0);
  const std::string id = model::MakeOffsetMsgId(original.store_host, 0);
  const model::MessageRecord r = BuildSendBackRecord(original, id, "%RETRY%G", 0, 3, 18);
  CHECK(r.topic == "SCHEDULE_TOPIC_XXXX");
  CHECK(r.queue_id == 2);
  CHECK(r.reconsume_times == 1);
  CHECK(r.body == original.body);
  CHECK(model::FindProperty(r.properties, model::kRealTopic) == "%RETRY%G");
  CHECK(model::FindProperty(r.properties, model::kRetryTopic) == original.topic);
  CHECK(model::FindProperty(r.properties, model::kOriginMessageId) == id);
  const model::MessageRecord dlq = BuildSendBackRecord(r, "OTHER", "%DLQ%G", 0, 0, 18);
  CHECK(dlq.topic == "%DLQ%G");
  CHECK(model::FindProperty(dlq.properties, model::kOriginMessageId) == id);  // kept from the first time
  CHECK(model::FindProperty(dlq.properties, model::kRetryTopic) == original.topic);
  CHECK_FALSE(model::FindProperty(dlq.properties, model::kRealTopic).has_value());
}

TEST_CASE("delayOffset.json: Java's unquoted keys read, quoted keys written") {
  auto parsed = ParseDelayOffsets("{\n\t\"offsetTable\":{1:5,3:\"7\"}\n}");
  REQUIRE(parsed.ok());
  CHECK(parsed->at(1) == 5);
  CHECK(parsed->at(3) == 7);
  CHECK(EncodeDelayOffsets(*parsed) == "{\"offsetTable\":{\"1\":5,\"3\":7}}");
  auto fixture = ParseDelayOffsets(ReadFileBytes(Fixtures() / "store-4.9.8/store/config/delayOffset.json"));
  REQUIRE(fixture.ok());
  CHECK(fixture->empty());
  CHECK_FALSE(ParseDelayOffsets("{\"offsetTable\":{\"x\":1}}").ok());
}

TEST_CASE("delayed delivery: a parked level-1 message reaches its real queue once due; offsets persist") {
  mq::testing::TempDir dir;
  Properties props;
  props.Set("storePathRootDir", dir.path());
  props.Set("mappedFileSizeCommitLog", "65536");
  props.Set("messageDelayLevel", "1s 2s");
  props.Set("flushDelayOffsetInterval", "200");
  auto config = BrokerConfig::FromProperties(props, HostEnvironment{dir.path(), "host", "127.0.0.1", {}});
  REQUIRE(config.ok());
  auto store_config = store::MessageStoreConfig::FromProperties(props);
  REQUIRE(store_config.ok());
  runtime::RuntimeOptions options;
  options.shard_count = 2;
  auto shards = runtime::ShardSet::Start(options);
  REQUIRE(shards.ok());
  auto opened = store::MessageStore::Open(*store_config, 2);
  REQUIRE(opened.ok());
  auto& st = **opened;
  REQUIRE(st.Start(**shards).ok());
  ScheduleService schedule(*config, **shards, st);
  REQUIRE(schedule.Load().ok());

  // Park two messages for level 1 (queue 0), the way the send path does.
  for (int i = 0; i < 2; ++i) {
    model::MessageRecord r;
    r.topic = "RealTopic";
    r.queue_id = 1;
    r.body = "delayed-" + std::to_string(i);
    model::MessageProperties p;
    p.Set(model::kTags, "TagA");
    p.Set(model::kDelay, "1");
    RewriteForDelay(r, p, 1);
    r.properties = p.Encode();
    const uint32_t owner = st.ShardOf(r.topic, r.queue_id);
    auto put = mq::testing::RunAsyncOn<store::PutResult>(**shards, owner, [&st, r](std::function<void(store::PutResult)> done) {
      st.Put({r}, true, done);
    });
    REQUIRE(put.status == store::PutStatus::kOk);
  }
  const auto start = std::chrono::steady_clock::now();
  schedule.Start();
  auto max_offset = [&] {
    int64_t v = -1;
    mq::testing::RunOn(**shards, st.ShardOf("RealTopic", 1), [&] { v = st.MaxOffset("RealTopic", 1); });
    return v;
  };
  CHECK(mq::testing::WaitFor([&] { return max_offset() == 2; }, 6000));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  CHECK(mq::testing::WaitFor([&] { return schedule.OffsetOf(1) == 2; }, 2000));
  store::GetResult got;
  mq::testing::RunOn(**shards, st.ShardOf("RealTopic", 1), [&] { got = st.Get("RealTopic", 1, 0, 10, nullptr); });
  REQUIRE(got.messages.size() == 2);
  auto first = model::DecodeRecord(got.messages[0].data, got.messages[0].size_bytes, true);
  REQUIRE(first.ok());
  CHECK(first->body == "delayed-0");
  CHECK(model::FindProperty(first->properties, model::kTags) == "TagA");
  CHECK_FALSE(model::FindProperty(first->properties, model::kRealTopic).has_value());
  CHECK_FALSE(model::FindProperty(first->properties, model::kDelay).has_value());

  schedule.Stop();
  (*shards)->RequestStop();
  (*shards)->Join();
  st.Shutdown();
  auto persisted = ParseDelayOffsets(ReadFileBytes(DelayOffsetJsonPath(dir.path())));
  REQUIRE(persisted.ok());
  CHECK(persisted->at(1) == 2);
}
