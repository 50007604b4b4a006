// The message-key index (spec 6.4): layout, chains, time filter, caps, rollover, persistence,
// recovery, retention, and the index file RocketMQ 4.9.8 wrote.
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "cq_index_test_util.h"
#include "model/message_record.h"
#include "store/index_service.h"
#include "store/mapped_file.h"

using namespace mq;
using namespace mq::store;
using namespace mq::store::test;

namespace {

constexpr int64_t kT0 = 1700000000000;  // a store timestamp (ms)

std::vector<int64_t> Query(const IndexService& s, const std::string& key, size_t max = 64, int64_t begin = 0,
                           int64_t end = LLONG_MAX) {
  return s.QueryOffsets("T", key, max, begin, end).phys_offsets;
}

std::vector<std::string> IndexFiles(const std::string& root) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(root + "/index")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("index: key hash and file geometry") {
  CHECK(IndexKeyHash("T#k") == std::abs(JavaStringHash("T#k")));
  CHECK(IndexFileBytes(kDefaultMaxHashSlots, kDefaultMaxIndexCount) == 420000040u);
  CHECK(IndexFileBytes(2000, 8000) == 168040u);
  // A string whose Java hash is Integer.MIN_VALUE: "polygenelubricants".
  CHECK(JavaStringHash("polygenelubricants") == INT32_MIN);
  CHECK(IndexKeyHash("polygenelubricants") == 0);
  CHECK(IndexFileName(IndexFileNameToMs("20261123234732589").value()) == "20261123234732589");
  CHECK(!IndexFileNameToMs("2026112323473258x").ok());
}

TEST_CASE("index: insert and lookup, byte layout") {
  TempRoot root;
  IndexService s(root.path(), 16, 100);
  REQUIRE(s.Load(true, 0).ok());
  CHECK(Query(s, "k1").empty());
  REQUIRE(s.BuildIndex("T", "k1  k2 ", "U1", 100, kT0).ok());  // empty words are skipped
  REQUIRE(s.BuildIndex("T", "", "", 200, kT0 + 5000).ok());    // nothing to index
  REQUIRE(s.BuildIndex("T", "k3", "", 300, kT0 + 7500).ok());
  CHECK(Query(s, "k1") == std::vector<int64_t>{100});
  CHECK(Query(s, "k2") == std::vector<int64_t>{100});
  CHECK(Query(s, "U1") == std::vector<int64_t>{100});
  CHECK(Query(s, "k3") == std::vector<int64_t>{300});
  CHECK(Query(s, "k4").empty());
  CHECK(s.QueryOffsets("Other", "k1", 64, 0, LLONG_MAX).phys_offsets.empty());
  const IndexQueryResult r = s.QueryOffsets("T", "k1", 64, 0, LLONG_MAX);
  CHECK(r.index_last_update_timestamp_ms == kT0 + 7500);
  CHECK(r.index_last_update_phys_offset == 300);
  REQUIRE(s.Flush().ok());

  const auto names = IndexFiles(root.path());
  REQUIRE(names.size() == 1);
  CHECK(names[0].size() == 17);
  const std::string bytes = ReadWholeFile(root.path() + "/index/" + names[0]);
  REQUIRE(bytes.size() == IndexFileBytes(16, 100));
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  CHECK(LoadBe64(p + 0) == static_cast<uint64_t>(kT0));         // beginTimestamp
  CHECK(LoadBe64(p + 8) == static_cast<uint64_t>(kT0 + 7500));  // endTimestamp
  CHECK(LoadBe64(p + 16) == 100);                               // beginPhyOffset
  CHECK(LoadBe64(p + 24) == 300);                               // endPhyOffset
  CHECK(LoadBe32(p + 36) == 5);                                 // indexCount: 1 + 4 entries
  // Entry 1 is the uniq key (indexed first), entry 4 is k3 with timeDiff 7 s.
  const uint8_t* e1 = p + 40 + 16 * 4 + 1 * 20;
  CHECK(LoadBe32(e1) == static_cast<uint32_t>(IndexKeyHash("T#U1")));
  CHECK(LoadBe64(e1 + 4) == 100);
  CHECK(LoadBe32(e1 + 12) == 0);
  const uint8_t* e4 = p + 40 + 16 * 4 + 4 * 20;
  CHECK(LoadBe32(e4) == static_cast<uint32_t>(IndexKeyHash("T#k3")));
  CHECK(LoadBe32(e4 + 12) == 7);
  CHECK(LoadBe32(p + 40 + (IndexKeyHash("T#k3") % 16) * 4) == 4);  // slot -> newest entry
}

TEST_CASE("index: chains, collisions and the time filter") {
  TempRoot root;
  IndexService s(root.path(), 1, 1000);  // one slot: every key shares one chain
  REQUIRE(s.Load(true, 0).ok());
  for (int i = 0; i < 5; ++i) REQUIRE(s.BuildIndex("T", "dup", "", 100 * i, kT0 + 10000 * i).ok());
  REQUIRE(s.BuildIndex("T", "other", "", 600, kT0 + 60000).ok());
  CHECK(Query(s, "dup") == std::vector<int64_t>{400, 300, 200, 100, 0});  // newest first
  CHECK(Query(s, "other") == std::vector<int64_t>{600});
  CHECK(s.files().back()->header().hash_slot_count == 1);
  // [t0+15s, t0+35s] holds records 2 and 3 only.
  CHECK(Query(s, "dup", 64, kT0 + 15000, kT0 + 35000) == std::vector<int64_t>{300, 200});
  CHECK(Query(s, "dup", 64, kT0 + 70000, LLONG_MAX).empty());
  // "Aa" and "BB" have the same Java hash: the index returns both, the caller compares keys.
  REQUIRE(s.BuildIndex("T", "Aa", "", 700, kT0 + 70000).ok());
  REQUIRE(s.BuildIndex("T", "BB", "", 800, kT0 + 80000).ok());
  CHECK(Query(s, "Aa") == std::vector<int64_t>{800, 700});
  CHECK(Query(s, "BB") == std::vector<int64_t>{800, 700});
}

TEST_CASE("index: a file that cannot be created fails BuildIndex") {
  TempRoot root;
  IndexService s(root.path(), 8, 100);
  REQUIRE(s.Load(true, 0).ok());
  GlobalFileFaults().fail_create = true;
  CHECK(!s.BuildIndex("T", "k", "", 0, kT0).ok());
  GlobalFileFaults().fail_create = false;
  CHECK(s.file_count() == 0);
  REQUIRE(s.BuildIndex("T", "k", "", 0, kT0).ok());
  CHECK(Query(s, "k") == std::vector<int64_t>{0});
}

TEST_CASE("index: at most maxNum and never more than 64 offsets") {
  TempRoot root;
  IndexService s(root.path(), 64, 1000);
  REQUIRE(s.Load(true, 0).ok());
  for (int i = 0; i < 100; ++i) REQUIRE(s.BuildIndex("T", "hot", "", i * 10, kT0 + i).ok());
  CHECK(Query(s, "hot", 10).size() == 10);
  CHECK(Query(s, "hot", 1000).size() == kMaxMsgsNumBatch);
  CHECK(Query(s, "hot", 1000).front() == 990);
  CHECK(Query(s, "hot", 0).empty());
}

TEST_CASE("index: rollover when full, persistence, abnormal recovery, retention") {
  TempRoot root;
  int64_t now = kT0;
  {
    IndexService s(root.path(), 8, 5);  // 4 entries per file (entry 0 is unused)
    s.set_clock_for_test([&] { return now; });  // every file in one ms: names must still grow
    REQUIRE(s.Load(true, 0).ok());
    for (int i = 0; i < 10; ++i) {
      REQUIRE(s.BuildIndex("T", "", "u" + std::to_string(i), 1000 + i * 100, kT0 + i * 1000).ok());
    }
    CHECK(s.file_count() == 3);
    const IndexHeader& h2 = s.files()[1]->header();
    CHECK(h2.begin_phys_offset == 1400);  // reset by its first entry
    CHECK(h2.end_phys_offset == 1700);
    CHECK(h2.index_count == 5);
    auto done = s.FlushCompleted();
    REQUIRE(done.ok());
    CHECK(*done == kT0 + 7000);  // the newest full file's endTimestamp, for the checkpoint
    CHECK(*s.FlushCompleted() == 0);
    for (int i = 0; i < 10; ++i) CHECK(Query(s, "u" + std::to_string(i)) == std::vector<int64_t>{1000 + i * 100});
    REQUIRE(s.Flush().ok());
  }
  const auto names = IndexFiles(root.path());
  REQUIRE(names.size() == 3);
  CHECK(names[0] == IndexFileName(kT0));
  CHECK(names[1] == IndexFileName(kT0 + 1));
  CHECK(names[2] == IndexFileName(kT0 + 2));
  {
    IndexService s(root.path(), 8, 5);
    REQUIRE(s.Load(true, 0).ok());  // clean exit: everything stays
    CHECK(s.file_count() == 3);
    for (int i = 0; i < 10; ++i) CHECK(Query(s, "u" + std::to_string(i)).size() == 1);
    // Re-dispatch of already indexed records adds nothing.
    REQUIRE(s.BuildIndex("T", "", "u5", 1500, kT0 + 5000).ok());
    CHECK(s.files().back()->header().index_count == 3);
    // Time range: files entirely older than begin are not read.
    CHECK(Query(s, "u1", 64, kT0 + 4000, LLONG_MAX).empty());
    CHECK(Query(s, "u9", 64, kT0 + 9000, kT0 + 9000) == std::vector<int64_t>{1900});
    CHECK(s.DeleteExpired(1500) == 1);  // file 1 ends at 1300; file 2 ends at 1700
    CHECK(s.DeleteExpired(1'000'000) == 1);  // never the newest
    CHECK(s.file_count() == 1);
    CHECK(Query(s, "u1").empty());
    CHECK(Query(s, "u9").size() == 1);
  }
  {
    IndexService s(root.path(), 8, 5);
    REQUIRE(s.Load(false, kT0 + 7000).ok());  // abnormal exit: files ending after the checkpoint go
    CHECK(s.file_count() == 0);
    CHECK(IndexFiles(root.path()).empty());
  }
  IndexService wrong(root.path(), 8, 6);
  std::filesystem::copy_file(FixturePath("store-4.9.8/store/index/20261123234732589"),
                             root.path() + "/index/20261123234732589");
  CHECK(!wrong.Load(true, 0).ok());  // geometry mismatch is refused, not misread
}

TEST_CASE("index: every key of the RocketMQ 4.9.8 store is found, and a rebuild is byte-identical") {
  TempRoot tmp;
  const std::string root = CopyFixtureStore(tmp.path());
  REQUIRE(!root.empty());
  rapidjson::Document manifest;
  REQUIRE(LoadManifest(manifest));
  const std::string index_name = "20261123234732589";
  // The fixture broker ran with maxHashSlotNum 2000 / maxIndexNum 8000 (fixture README); the file
  // size must agree with that geometry.
  const auto file_bytes = std::filesystem::file_size(root + "/index/" + index_name);
  REQUIRE(file_bytes == IndexFileBytes(2000, 8000));

  IndexService s(root, 2000, 8000);
  REQUIRE(s.Load(true, 0).ok());
  REQUIRE(s.file_count() == 1);
  size_t keys = 0;
  for (const auto& rec : manifest.GetArray()) {
    if (rec.HasMember("blank")) continue;
    const std::string topic = JsonStr(rec, "topic");
    const int64_t phys = rec["physicalOffset"].GetInt64();
    std::vector<std::string> words;
    if (!JsonStr(rec, "uniqKey").empty()) words.push_back(JsonStr(rec, "uniqKey"));
    std::string rest = JsonStr(rec, "keys");
    for (size_t pos; (pos = rest.find(' ')) != std::string::npos; rest.erase(0, pos + 1)) {
      if (pos > 0) words.push_back(rest.substr(0, pos));
    }
    if (!rest.empty()) words.push_back(rest);
    for (const auto& word : words) {
      const auto found = s.QueryOffsets(topic, word, 64, 0, LLONG_MAX).phys_offsets;
      CHECK_MESSAGE(std::find(found.begin(), found.end(), phys) != found.end(), topic, "#", word);
      ++keys;
    }
  }
  CHECK(keys == static_cast<size_t>(s.files()[0]->header().index_count - 1));

  // Rebuild from the commit log (store timestamps come from the records) in dispatch order.
  TempRoot fresh;
  IndexService rebuilt(fresh.path(), 2000, 8000);
  REQUIRE(rebuilt.Load(true, 0).ok());
  rebuilt.set_clock_for_test([&] { return IndexFileNameToMs(index_name).value(); });
  const std::string log0 = ReadWholeFile(root + "/commitlog/00000000000000000000");
  const std::string log1 = ReadWholeFile(root + "/commitlog/00000000000000262144");
  for (const auto& rec : manifest.GetArray()) {
    if (rec.HasMember("blank")) continue;
    const int64_t phys = rec["physicalOffset"].GetInt64();
    const std::string& log = phys < 262144 ? log0 : log1;
    const size_t pos = static_cast<size_t>(phys % 262144);
    auto view = model::RecordView::Parse(reinterpret_cast<const uint8_t*>(log.data()) + pos, log.size() - pos, false);
    REQUIRE(view.ok());
    REQUIRE(rebuilt.BuildIndex(JsonStr(rec, "topic"), JsonStr(rec, "keys"), JsonStr(rec, "uniqKey"), phys,
                               view->store_timestamp_ms())
                .ok());
  }
  REQUIRE(rebuilt.Flush().ok());
  const std::string expected = ReadWholeFile(root + "/index/" + index_name);
  const std::string actual = ReadWholeFile(fresh.path() + "/index/" + index_name);
  REQUIRE(actual.size() == expected.size());
  CHECK(actual.substr(0, 40) == expected.substr(0, 40));
  CHECK(actual == expected);
}
