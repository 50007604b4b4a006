// The MessageStore facade on real shards: puts on the owning shard, dispatch to consume queues,
// pulls with tag filters and spec 4.3 statuses, key queries, restart and recovery.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "base/hash.h"
#include "model/properties.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"
#include <rapidjson/document.h>

using namespace mq;
using namespace mq::store;
using mq::testing::RunAsyncOn;
using mq::testing::RunOn;
using mq::testing::TempDir;
using mq::testing::WaitFor;

namespace {

MessageStoreConfig SmallConfig(const std::string& root, FlushMode mode = FlushMode::kAsync) {
  Properties props;
  props.Set("storePathRootDir", root);
  props.Set("mappedFileSizeCommitLog", "65536");
  props.Set("mappedFileSizeConsumeQueue", "400");  // 20 units per file
  props.Set("flushDiskType", mode == FlushMode::kSync ? "SYNC_FLUSH" : "ASYNC_FLUSH");
  auto c = MessageStoreConfig::FromProperties(props);
  REQUIRE(c.ok());
  return *c;
}

model::MessageRecord Record(const std::string& topic, int32_t queue_id, const std::string& body,
                            const std::string& tags = "", const std::string& keys = "") {
  model::MessageRecord r;
  r.topic = topic;
  r.queue_id = queue_id;
  r.body = body;
  r.born_timestamp_ms = 1700000000000;
  model::MessageProperties props;
  if (!tags.empty()) props.Set(model::kTags, tags);
  if (!keys.empty()) props.Set(model::kKeys, keys);
  props.Set(model::kUniqKey, "UNIQ-" + body);
  r.properties = props.Encode();
  return r;
}

struct StoreFixture {
  explicit StoreFixture(const std::string& root, FlushMode mode = FlushMode::kAsync) {
    runtime::RuntimeOptions options;
    options.shard_count = 2;
    auto set = runtime::ShardSet::Start(options);
    REQUIRE(set.ok());
    shards = std::move(set).value();
    auto opened = MessageStore::Open(SmallConfig(root, mode), 2);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    REQUIRE(store->Start(*shards).ok());
  }
  ~StoreFixture() {
    shards->RequestStop();
    shards->Join();
    store->Shutdown();
  }
  PutResult Put(std::vector<model::MessageRecord> records, bool wait = true) {
    const uint32_t owner = store->ShardOf(records[0].topic, records[0].queue_id);
    return RunAsyncOn<PutResult>(*shards, owner, [this, records, wait](std::function<void(PutResult)> done) {
      store->Put(records, wait, done);
    });
  }
  GetResult Get(const std::string& topic, int32_t queue_id, int64_t offset, uint32_t max, TagsCodeFilter f = nullptr) {
    GetResult r;
    RunOn(*shards, store->ShardOf(topic, queue_id), [&] { r = store->Get(topic, queue_id, offset, max, f); });
    return r;
  }
  int64_t MaxOffset(const std::string& topic, int32_t queue_id) {
    int64_t v = -1;
    RunOn(*shards, store->ShardOf(topic, queue_id), [&] { v = store->MaxOffset(topic, queue_id); });
    return v;
  }
  std::unique_ptr<runtime::ShardSet> shards;
  std::unique_ptr<MessageStore> store;
};

std::string BodyOf(const Slice& s) {
  auto view = model::RecordView::Parse(s.data, s.size_bytes, true);
  REQUIRE(view.ok());
  return std::string(view->body());
}

}  // namespace

TEST_CASE("puts get consecutive queue offsets and become pullable after dispatch") {
  TempDir dir;
  StoreFixture f(dir.path());
  for (int i = 0; i < 50; ++i) {
    PutResult r = f.Put({Record("T", 1, "m" + std::to_string(i), i % 2 ? "TagB" : "TagA")});
    REQUIRE(r.status == PutStatus::kOk);
    CHECK(r.queue_offset == i);
  }
  REQUIRE(WaitFor([&] { return f.MaxOffset("T", 1) == 50; }));
  GetResult all = f.Get("T", 1, 0, 32);
  CHECK(all.status == GetStatus::kFound);
  REQUIRE(all.messages.size() == 32);
  CHECK(BodyOf(all.messages[0]) == "m0");
  CHECK(BodyOf(all.messages[31]) == "m31");
  CHECK(all.next_begin_offset == 32);
  const int64_t tag_a = JavaStringHash("TagA");
  GetResult only_a = f.Get("T", 1, 0, 32, [tag_a](int64_t code) { return code == tag_a; });
  REQUIRE(only_a.messages.size() == 25);
  for (const auto& m : only_a.messages) CHECK(std::stoi(BodyOf(m).substr(1)) % 2 == 0);
  CHECK(only_a.next_begin_offset == 50);
  CHECK(f.Get("T", 1, 50, 32).status == GetStatus::kOffsetOverflowOne);
  CHECK(f.Get("T", 1, 51, 32).status == GetStatus::kOffsetOverflowBadly);
  CHECK(f.Get("T", 1, 51, 32).next_begin_offset == 50);
  CHECK(f.Get("T", 2, 0, 32).status == GetStatus::kNoMessageInQueue);
  GetResult none = f.Get("T", 1, 49, 32, [](int64_t) { return false; });
  CHECK(none.status == GetStatus::kNoMatchedMessage);
  CHECK(none.next_begin_offset == 50);
}

TEST_CASE("deleting a topic leaves a topic whose name extends it (\"a\" vs \"a-0\") alone") {
  TempDir dir;
  StoreFixture f(dir.path());
  // Queue 0 of "a-0" has the key "a-0-0": a naive "a-" prefix match would take it for topic "a".
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.Put({Record("a", 0, "a" + std::to_string(i))}).status == PutStatus::kOk);
    REQUIRE(f.Put({Record("a-0", 0, "b" + std::to_string(i))}).status == PutStatus::kOk);
  }
  REQUIRE(WaitFor([&] { return f.MaxOffset("a-0", 0) == 3 && f.MaxOffset("a", 0) == 3; }));
  RunOn(*f.shards, f.store->ShardOf("a", 0), [&] { f.store->DeleteTopicQueues("a"); });
  RunOn(*f.shards, f.store->ShardOf("a-0", 0), [&] { f.store->DeleteTopicQueues("a"); });
  PutResult next = f.Put({Record("a-0", 0, "b3")});
  REQUIRE(next.status == PutStatus::kOk);
  CHECK(next.queue_offset == 3);
  REQUIRE(WaitFor([&] { return f.MaxOffset("a-0", 0) == 4; }));
  CHECK(f.Get("a-0", 0, 0, 32).messages.size() == 4);
  CHECK(f.MaxOffset("a", 0) <= 0);
}

TEST_CASE("a batch takes one reservation with consecutive offsets; keys are queryable") {
  TempDir dir;
  StoreFixture f(dir.path());
  std::vector<model::MessageRecord> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Record("B", 0, "b" + std::to_string(i), "", "order-" + std::to_string(i)));
  PutResult r = f.Put(batch);
  REQUIRE(r.status == PutStatus::kOk);
  CHECK(r.message_count == 10);
  REQUIRE(r.record_offsets.size() == 10);
  for (size_t i = 1; i < 10; ++i) CHECK(r.record_offsets[i] > r.record_offsets[i - 1]);
  REQUIRE(WaitFor([&] { return f.MaxOffset("B", 0) == 10; }));
  std::vector<Slice> hits;
  REQUIRE(WaitFor([&] {
    RunOn(*f.shards, 0, [&] { hits = f.store->QueryByKey("B", "order-7", 32, 0, INT64_MAX); });
    return hits.size() == 1;
  }));
  CHECK(BodyOf(hits[0]) == "b7");
  RunOn(*f.shards, 0, [&] { hits = f.store->QueryByKey("B", "UNIQ-b3", 32, 0, INT64_MAX); });
  REQUIRE(hits.size() == 1);
  CHECK(BodyOf(hits[0]) == "b3");
  auto by_offset = f.store->ReadRecordAt(r.record_offsets[4]);
  REQUIRE(by_offset.ok());
  CHECK(BodyOf(*by_offset) == "b4");
  CHECK_FALSE(f.store->ReadRecordAt(r.record_offsets[4] + 1).ok());
}

TEST_CASE("SYNC_FLUSH acknowledges after the data is durable, from many queues at once") {
  TempDir dir;
  StoreFixture f(dir.path(), FlushMode::kSync);
  for (int i = 0; i < 20; ++i) {
    PutResult r = f.Put({Record("S", i % 4, "s" + std::to_string(i))});
    REQUIRE(r.status == PutStatus::kOk);
    CHECK(f.store->commit_log().flushed_offset() >= r.phys_offset + r.wrote_bytes);
  }
}

TEST_CASE("the store reopens with every message, queue offsets continuing") {
  TempDir dir;
  {
    StoreFixture f(dir.path());
    for (int i = 0; i < 30; ++i) REQUIRE(f.Put({Record("R", 3, "r" + std::to_string(i), "", "k" + std::to_string(i))}).status == PutStatus::kOk);
    REQUIRE(WaitFor([&] { return f.MaxOffset("R", 3) == 30; }));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/abort"));  // clean stop
  StoreFixture f(dir.path());
  CHECK(f.MaxOffset("R", 3) == 30);
  PutResult r = f.Put({Record("R", 3, "after")});
  CHECK(r.queue_offset == 30);
  REQUIRE(WaitFor([&] { return f.MaxOffset("R", 3) == 31; }));
  GetResult g = f.Get("R", 3, 0, 32);
  REQUIRE(g.messages.size() == 31);
  CHECK(BodyOf(g.messages[29]) == "r29");
  CHECK(BodyOf(g.messages[30]) == "after");
  std::vector<Slice> hits;
  RunOn(*f.shards, 0, [&] { hits = f.store->QueryByKey("R", "k12", 32, 0, INT64_MAX); });
  REQUIRE(hits.size() == 1);
}

TEST_CASE("consume queues are rebuilt from the commit log when they are lost") {
  TempDir dir;
  {
    StoreFixture f(dir.path());
    for (int i = 0; i < 25; ++i) REQUIRE(f.Put({Record("L", 0, "l" + std::to_string(i))}).status == PutStatus::kOk);
    REQUIRE(WaitFor([&] { return f.MaxOffset("L", 0) == 25; }));
  }
  std::filesystem::remove_all(dir.path() + "/consumequeue");
  StoreFixture f(dir.path());
  CHECK(f.MaxOffset("L", 0) == 25);
  GetResult g = f.Get("L", 0, 20, 32);
  REQUIRE(g.messages.size() == 5);
  CHECK(BodyOf(g.messages[0]) == "l20");
}

TEST_CASE("oversized bodies are refused with MESSAGE_ILLEGAL and nothing is stored") {
  TempDir dir;
  StoreFixture f(dir.path());
  PutResult r = f.Put({Record("X", 0, std::string(4194305, 'x'))});
  CHECK(r.status == PutStatus::kMessageIllegal);
  CHECK(f.Put({Record("X", 0, "ok")}).queue_offset == 0);
}

// ---- A store written by Apache RocketMQ 4.9.8, opened through the facade ----
#include "cq_index_test_util.h"

TEST_CASE("a store written by RocketMQ 4.9.8 opens and every message reads back through the facade") {
  mq::store::test::TempRoot tmp;
  const std::string root = mq::store::test::CopyFixtureStore(tmp.path());
  REQUIRE_FALSE(root.empty());
  rapidjson::Document manifest;
  REQUIRE(mq::store::test::LoadManifest(manifest));
  Properties props;  // the sizes the fixture broker ran with (its README)
  props.Set("storePathRootDir", root);
  props.Set("mappedFileSizeCommitLog", "262144");
  props.Set("mappedFileSizeConsumeQueue", "6000");
  props.Set("maxHashSlotNum", "2000");
  props.Set("maxIndexNum", "8000");
  auto config = MessageStoreConfig::FromProperties(props);
  REQUIRE(config.ok());
  runtime::RuntimeOptions options;
  options.shard_count = 2;
  auto shards = runtime::ShardSet::Start(options);
  REQUIRE(shards.ok());
  auto store = MessageStore::Open(*config, 2);
  REQUIRE(store.ok());
  REQUIRE((*store)->Start(**shards).ok());

  size_t checked = 0;
  size_t keys_found = 0;
  for (const auto& rec : manifest.GetArray()) {
    if (!rec.HasMember("topic")) continue;  // the blank end-of-file marker
    const std::string topic = rec["topic"].GetString();
    const int32_t queue_id = rec["queueId"].GetInt();
    const int64_t queue_offset = rec["queueOffset"].GetInt64();
    GetResult got;
    RunOn(**shards, (*store)->ShardOf(topic, queue_id), [&] { got = (*store)->Get(topic, queue_id, queue_offset, 1, nullptr); });
    INFO(topic, "-", queue_id, "@", queue_offset);
    REQUIRE(got.status == GetStatus::kFound);
    REQUIRE(got.messages.size() == 1);
    auto view = model::RecordView::Parse(got.messages[0].data, got.messages[0].size_bytes, true);
    REQUIRE(view.ok());
    CHECK(view->topic() == topic);
    CHECK(view->queue_id() == queue_id);
    CHECK(view->queue_offset() == queue_offset);
    CHECK(view->physical_offset() == rec["physicalOffset"].GetInt64());
    const std::string tags = mq::store::test::JsonStr(rec, "tags");
    CHECK(model::FindProperty(view->properties(), model::kTags).value_or("") == tags);
    const std::string keys = mq::store::test::JsonStr(rec, "keys");
    CHECK(model::FindProperty(view->properties(), model::kKeys).value_or("") == keys);
    if ((view->sys_flag() & 0x1) == 0) CHECK(static_cast<int64_t>(view->body().size()) == rec["bodyLength"].GetInt64());
    if (!keys.empty()) {
      const std::string first_key = keys.substr(0, keys.find(' '));
      std::vector<Slice> hits;
      RunOn(**shards, 0, [&] { hits = (*store)->QueryByKey(topic, first_key, 64, 0, INT64_MAX); });
      bool found = false;
      for (const auto& h : hits) found = found || h.phys_offset == rec["physicalOffset"].GetInt64();
      CHECK_MESSAGE(found, "key ", first_key);
      keys_found += found ? 1 : 0;
    }
    ++checked;
  }
  CHECK(checked == 561);
  CHECK(keys_found > 0);
  (*shards)->RequestStop();
  (*shards)->Join();
  (*store)->Shutdown();
}

TEST_CASE("after a crash that lost consume-queue data, recovery restores every queue offset from the commit log") {
  // Consume-queue files are created and written without a sync (the commit log is the durable
  // record); a power loss may therefore lose a whole file, the tail of one, or a queue directory.
  // The crash image is a copy of the running store taken after every SYNC_FLUSH put was
  // acknowledged and dispatched (abort file present, as after a crash); then damage is done to it.
  TempDir dir;
  TempDir image;
  constexpr int kPerQueue = 50;  // 20 units per file: files at units 0, 20, 40
  {
    StoreFixture f(dir.path(), FlushMode::kSync);
    for (int i = 0; i < kPerQueue; ++i) {
      for (int q = 0; q < 4; ++q) {
        REQUIRE(f.Put({Record("C", q, "c" + std::to_string(q) + "-" + std::to_string(i))}).status == PutStatus::kOk);
      }
    }
    for (int q = 0; q < 4; ++q) REQUIRE(WaitFor([&] { return f.MaxOffset("C", q) == kPerQueue; }));
    std::filesystem::copy(dir.path(), image.path(), std::filesystem::copy_options::recursive);
  }
  REQUIRE(std::filesystem::exists(image.path() + "/abort"));
  const std::string cq = image.path() + "/consumequeue/C/";
  // Queue 0 loses its newest file (units 40..49), and any file made ahead of time after it.
  std::filesystem::remove(cq + "0/" + FileNameForOffset(800));
  std::filesystem::remove(cq + "0/" + FileNameForOffset(1200));
  // Queue 1 loses the tail of its newest file from unit 45 on.
  {
    auto file = MappedFile::Open(cq + "1", 800, 400, /*create=*/false);
    REQUIRE(file.ok());
    (*file)->ZeroFrom(5 * 20);
  }
  // Queue 2 loses its whole directory; queue 3 (a young queue, nothing of it synced) keeps its files
  // but none of their contents, and not the file made ahead of its next unit.
  std::filesystem::remove_all(cq + "2");
  std::filesystem::remove(cq + "3/" + FileNameForOffset(1200));
  for (const auto& entry : std::filesystem::directory_iterator(cq + "3")) {
    auto start = OffsetFromFileName(entry.path().filename().string());
    REQUIRE(start.ok());
    auto file = MappedFile::Open(cq + "3", *start, 400, /*create=*/false);
    REQUIRE(file.ok());
    (*file)->ZeroFrom(0);
  }

  StoreFixture f(image.path(), FlushMode::kSync);
  for (int q = 0; q < 4; ++q) {
    CAPTURE(q);
    CHECK(f.MaxOffset("C", q) == kPerQueue);
    for (int i = 0; i < kPerQueue;) {  // a pull returns at most 32 messages
      GetResult g = f.Get("C", q, i, 32);
      REQUIRE(g.status == GetStatus::kFound);
      REQUIRE(!g.messages.empty());
      for (const Slice& m : g.messages) CHECK(BodyOf(m) == "c" + std::to_string(q) + "-" + std::to_string(i++));
    }
    // New messages continue the queue where the acknowledged ones ended.
    PutResult r = f.Put({Record("C", q, "after")});
    REQUIRE(r.status == PutStatus::kOk);
    CHECK(r.queue_offset == kPerQueue);
  }
}
