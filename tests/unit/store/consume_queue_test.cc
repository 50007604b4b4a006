// Consume queues (spec 6.3, 6.6 step 1/4, 6.9) with tiny files, and the 4.9.8 fixture store.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "cq_index_test_util.h"
#include "model/message_id.h"
#include "store/consume_queue.h"
#include "store/consume_queue_table.h"
#include "store/mapped_file.h"

using namespace mq;
using namespace mq::store;
using namespace mq::store::test;

namespace {

constexpr int64_t kUnitsPerFile = 4;  // 80-byte files: boundaries every 4 units

// Unit i points at phys i*100, 100 bytes, tagsCode 1000+i.
void AppendUnits(ConsumeQueue& q, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; ++i) REQUIRE(q.Append(i, i * 100, 100, 1000 + i).ok());
}

std::string CqDir(const std::string& root) { return root + "/consumequeue/T/0"; }

// Overwrites unit `offset` of queue T/0 on disk (file of 4 units).
void PokeUnit(const std::string& root, int64_t offset, const CqUnit& unit) {
  const int64_t file_start = offset * 20 / 80 * 80;
  auto file = MappedFile::Open(CqDir(root), file_start, 80, false);
  REQUIRE(file.ok());
  EncodeCqUnit(unit, (*file)->data() + (offset * 20 - file_start));
}

}  // namespace

TEST_CASE("consume queue: append and read across file boundaries") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  q.Recover();
  CHECK(q.max_offset() == 0);
  AppendUnits(q, 0, 10);
  CHECK(q.min_offset() == 0);
  CHECK(q.max_offset() == 10);
  CHECK(q.max_phys_end() == 1000);
  CHECK(q.file_count() == 3);
  CHECK(std::filesystem::file_size(CqDir(root.path()) + "/00000000000000000080") == 80);
  CHECK(std::filesystem::exists(CqDir(root.path()) + "/00000000000000000160"));

  std::vector<CqUnit> out;
  CHECK(q.Read(3, 3, out) == 3);  // units 3 | 4 5: crosses the first boundary
  REQUIRE(out.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(out[i].phys_offset == (3 + i) * 100);
    CHECK(out[i].size_bytes == 100);
    CHECK(out[i].tags_code == 1003 + i);
  }
  out.clear();
  CHECK(q.Read(0, 32, out) == 10);  // bounded by max offset
  CHECK(out.back().phys_offset == 900);
  out.clear();
  CHECK(q.Read(10, 32, out) == 0);
  CHECK(q.Read(-1, 32, out) == 0);
  CHECK(q.At(9)->tags_code == 1009);
  CHECK(!q.At(10).has_value());

  // Big-endian on disk: phys (8) size (4) tags (8).
  const std::string bytes = ReadWholeFile(CqDir(root.path()) + "/00000000000000000080");
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  CHECK(LoadBe64(p + 20) == 500);
  CHECK(LoadBe32(p + 28) == 100);
  CHECK(LoadBe64(p + 32) == 1005);
}

TEST_CASE("consume queue: a first file at a non-zero offset is padded") {
  TempRoot root;
  {
    ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
    REQUIRE(q.Load().ok());
    q.Recover();
    REQUIRE(q.Append(6, 5000, 120, 7).ok());
    CHECK(q.min_offset() == 6);
    CHECK(q.max_offset() == 7);
    CHECK(!q.At(5).has_value());
    REQUIRE(q.Flush().ok());
  }
  const std::string bytes = ReadWholeFile(CqDir(root.path()) + "/00000000000000000080");
  REQUIRE(bytes.size() == 80);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int i = 0; i < 2; ++i) {  // units 4 and 5: (0, 0x7FFFFFFF, 0)
    CHECK(LoadBe64(p + i * 20) == 0);
    CHECK(LoadBe32(p + i * 20 + 8) == 0x7FFFFFFFu);
    CHECK(LoadBe64(p + i * 20 + 12) == 0);
  }
  ConsumeQueue again(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(again.Load().ok());
  again.Recover();
  CHECK(again.min_offset() == 6);
  CHECK(again.max_offset() == 7);
  CHECK(again.max_phys_end() == 5120);
  CHECK(again.At(6)->phys_offset == 5000);
  again.CorrectMinOffset(0);  // padding never becomes readable
  CHECK(again.min_offset() == 6);
  REQUIRE(again.Append(7, 5120, 10, 0).ok());
  CHECK(again.max_offset() == 8);
}

TEST_CASE("consume queue: re-dispatched units are ignored") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  AppendUnits(q, 0, 5);
  REQUIRE(q.Append(2, 200, 100, 1002).ok());  // an older record again
  REQUIRE(q.Append(4, 400, 100, 1004).ok());  // the newest again: end equals the last end
  REQUIRE(q.Append(0, 0, 100, 1000).ok());
  CHECK(q.max_offset() == 5);
  CHECK(q.At(4)->tags_code == 1004);
  AppendUnits(q, 5, 6);
  CHECK(q.max_offset() == 6);
}

TEST_CASE("consume queue: a file that cannot be created fails the append and changes nothing") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  GlobalFileFaults().fail_create = true;
  CHECK(!q.Append(6, 600, 100, 0).ok());
  GlobalFileFaults().fail_create = false;
  CHECK(q.max_offset() == 0);
  CHECK(q.file_count() == 0);
  AppendUnits(q, 0, 4);
  GlobalFileFaults().fail_create = true;
  CHECK(!q.Append(4, 400, 100, 0).ok());  // the next file
  GlobalFileFaults().fail_create = false;
  CHECK(q.max_offset() == 4);
  AppendUnits(q, 4, 5);
  CHECK(q.max_offset() == 5);
}

TEST_CASE("consume queue: recovery stops at a torn or zero unit") {
  TempRoot root;
  {
    ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
    REQUIRE(q.Load().ok());
    AppendUnits(q, 0, 11);
  }
  SUBCASE("size <= 0") { PokeUnit(root.path(), 6, {600, 0, 1006}); }
  SUBCASE("negative phys offset") { PokeUnit(root.path(), 6, {-1, 100, 1006}); }
  SUBCASE("all zero") { PokeUnit(root.path(), 6, {0, 0, 0}); }
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  CHECK(q.file_count() == 3);
  q.Recover();
  CHECK(q.max_offset() == 6);
  CHECK(q.max_phys_end() == 600);
  CHECK(q.file_count() == 2);  // the file after the torn unit is gone
  CHECK(!std::filesystem::exists(CqDir(root.path()) + "/00000000000000000160"));
  // The tail of the torn file is zeroed: a stale unit 7 cannot resurface on the next recovery.
  REQUIRE(q.Append(6, 600, 100, 1006).ok());
  ConsumeQueue again(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(again.Load().ok());
  again.Recover();
  CHECK(again.max_offset() == 7);
}

TEST_CASE("consume queue: recovery scans only the three newest files") {
  TempRoot root;
  {
    ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
    REQUIRE(q.Load().ok());
    AppendUnits(q, 0, 18);  // 5 files
  }
  PokeUnit(root.path(), 1, {0, 0, 0});  // in the oldest file: trusted, not scanned
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  q.Recover();
  CHECK(q.max_offset() == 18);
  CHECK(q.max_phys_end() == 1800);
}

TEST_CASE("consume queue: units past the commit-log end are truncated") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  AppendUnits(q, 0, 10);
  q.TruncateDirty(2000);  // nothing points past it
  CHECK(q.max_offset() == 10);
  q.TruncateDirty(550);  // unit 5 [500, 600) ends past the limit; 6.. start past it
  CHECK(q.max_offset() == 5);
  CHECK(q.max_phys_end() == 500);
  CHECK(q.file_count() == 2);
  q.TruncateDirty(400);  // exactly at unit 4: the second file keeps no unit
  CHECK(q.max_offset() == 4);
  CHECK(q.file_count() == 2);
  AppendUnits(q, 4, 6);
  CHECK(q.At(5)->phys_offset == 500);
}

TEST_CASE("consume queue: min offset correction and expired files") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  AppendUnits(q, 0, 10);
  q.CorrectMinOffset(250);
  CHECK(q.min_offset() == 3);
  q.CorrectMinOffset(0);  // never backwards
  CHECK(q.min_offset() == 3);
  std::vector<CqUnit> out;
  CHECK(q.Read(2, 4, out) == 0);

  CHECK(q.DeleteExpiredFiles(450) == 1);  // file 0 ends at unit 3 (phys 300); file 1 at 700
  CHECK(q.file_count() == 2);
  CHECK(!std::filesystem::exists(CqDir(root.path()) + "/00000000000000000000"));
  CHECK(q.min_offset() == 5);
  CHECK(q.Read(5, 32, out) == 5);

  CHECK(q.DeleteExpiredFiles(1'000'000) == 1);  // never the newest file
  CHECK(q.file_count() == 1);
  CHECK(q.min_offset() == 10);
  CHECK(q.max_offset() == 10);
  AppendUnits(q, 10, 13);  // still appendable after everything expired
  CHECK(q.file_count() == 2);

  ConsumeQueue again(root.path(), "T", 0, kUnitsPerFile);  // reload from the middle of the stream
  REQUIRE(again.Load().ok());
  again.Recover();
  CHECK(again.min_offset() == 8);
  CHECK(again.max_offset() == 13);
  again.CorrectMinOffset(1150);
  CHECK(again.min_offset() == 12);
  again.Destroy();
  CHECK(!std::filesystem::exists(CqDir(root.path())));
}

TEST_CASE("consume queue: flush, least pages and reopen") {
  TempRoot root;
  {
    ConsumeQueue q(root.path(), "T", 0, 1000);
    REQUIRE(q.Load().ok());
    AppendUnits(q, 0, 100);
    CHECK(q.Flush(2).ok());  // 2000 bytes: less than two pages, skipped
    CHECK(q.Flush().ok());
    GlobalFileFaults().fail_sync = true;
    AppendUnits(q, 100, 101);
    CHECK(!q.Flush().ok());
    GlobalFileFaults().fail_sync = false;
    CHECK(q.Flush().ok());
  }
  ConsumeQueue q(root.path(), "T", 0, 1000);
  REQUIRE(q.Load().ok());
  q.Recover();
  CHECK(q.max_offset() == 101);
  CHECK(q.At(57)->phys_offset == 5700);
}

TEST_CASE("consume queue table: lazy queues and a directory scan at load") {
  TempRoot root;
  {
    ConsumeQueueTable table(root.path(), kUnitsPerFile);
    REQUIRE(table.Load().ok());
    CHECK(table.queue_count() == 0);
    CHECK(table.Find("A", 0) == nullptr);
    REQUIRE(table.FindOrCreate("A", 0).Append(0, 0, 10, 0).ok());
    REQUIRE(table.FindOrCreate("A", 3).Append(0, 10, 10, 0).ok());
    REQUIRE(table.FindOrCreate("B", 1).Append(0, 20, 10, 0).ok());
    CHECK(table.FindOrCreate("C", 0).max_offset() == 0);  // no file yet
    CHECK(table.Flush().ok());
  }
  std::filesystem::create_directories(root.path() + "/consumequeue/A/not-a-queue");
  ConsumeQueueTable table(root.path(), kUnitsPerFile);
  REQUIRE(table.Load().ok());
  CHECK(table.queue_count() == 3);
  CHECK(table.Recover() == 30);
  REQUIRE(table.Find("A", 3) != nullptr);
  CHECK(table.Find("A", 3)->At(0)->phys_offset == 10);
  table.TruncateDirty(20);
  CHECK(table.Find("B", 1)->max_offset() == 0);
  table.DestroyTopic("A");
  CHECK(table.Find("A", 0) == nullptr);
  CHECK(!std::filesystem::exists(root.path() + "/consumequeue/A"));
}

TEST_CASE("consume queue: every unit of the RocketMQ 4.9.8 store matches manifest.json") {
  TempRoot tmp;
  const std::string root = CopyFixtureStore(tmp.path());
  REQUIRE(!root.empty());
  rapidjson::Document manifest;
  REQUIRE(LoadManifest(manifest));

  ConsumeQueueTable table(root, 300);  // mappedFileSizeConsumeQueue = 6000 in the fixture
  REQUIRE(table.Load().ok());
  CHECK(table.queue_count() == 17);
  const int64_t max_phys_end = table.Recover();

  std::map<std::pair<std::string, int32_t>, int64_t> counts;
  int64_t last_end = 0;
  size_t checked = 0;
  for (const auto& rec : manifest.GetArray()) {
    if (rec.HasMember("blank")) continue;
    const std::string topic = JsonStr(rec, "topic");
    const int32_t queue_id = rec["queueId"].GetInt();
    const int64_t queue_offset = rec["queueOffset"].GetInt64();
    ConsumeQueue* q = table.Find(topic, queue_id);
    REQUIRE(q != nullptr);
    const auto unit = q->At(queue_offset);
    REQUIRE(unit.has_value());
    CHECK(unit->phys_offset == rec["physicalOffset"].GetInt64());
    CHECK(unit->size_bytes == rec["size"].GetInt());
    CHECK(unit->tags_code == model::TagsCode(JsonStr(rec, "tags")));
    counts[{topic, queue_id}] = std::max(counts[{topic, queue_id}], queue_offset + 1);
    last_end = std::max(last_end, unit->phys_end());
    ++checked;
  }
  CHECK(checked == 561);
  CHECK(max_phys_end == last_end);
  table.ForEach([&](ConsumeQueue& q) {
    CHECK(q.min_offset() == 0);
    CHECK(q.max_offset() == counts[{q.topic(), q.queue_id()}]);
  });
  // Re-dispatching the whole commit log over the recovered queues changes nothing.
  for (const auto& rec : manifest.GetArray()) {
    if (rec.HasMember("blank")) continue;
    ConsumeQueue& q = table.FindOrCreate(JsonStr(rec, "topic"), rec["queueId"].GetInt());
    REQUIRE(q.Append(rec["queueOffset"].GetInt64(), rec["physicalOffset"].GetInt64(), rec["size"].GetInt(), 0).ok());
  }
  table.ForEach([&](ConsumeQueue& q) { CHECK(q.max_offset() == counts[{q.topic(), q.queue_id()}]); });
}

TEST_CASE("consume queue: files made off the queue's thread are taken without creating another") {
  TempRoot root;
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  q.Recover();
  // A queue without files needs the file holding its first unit (here unit 5: the file at 80).
  REQUIRE(q.FileStartNeededFor(5) == std::optional<int64_t>(80));
  auto first = ConsumeQueue::CreateFile(q.dir(), 80, q.file_bytes());
  REQUIRE(first.ok());
  CHECK(q.SetPreparedFile(*first) == nullptr);
  CHECK_FALSE(q.FileStartNeededFor(5).has_value());
  AppendUnits(q, 5, 6);
  CHECK(q.file_count() == 1);
  CHECK(q.min_offset() == 5);
  // Past the middle of the newest file, the next one is due ahead of time; a file that cannot
  // continue the sequence is handed back to be destroyed.
  CHECK_FALSE(q.FileStartNeededFor(6, /*ahead=*/false).has_value());
  REQUIRE(q.FileStartNeededFor(6, /*ahead=*/true) == std::optional<int64_t>(160));
  auto gap = ConsumeQueue::CreateFile(q.dir(), 240, q.file_bytes());
  REQUIRE(gap.ok());
  CHECK(q.SetPreparedFile(*gap) == *gap);
  (*gap)->Destroy();
  auto next = ConsumeQueue::CreateFile(q.dir(), 160, q.file_bytes());
  REQUIRE(next.ok());
  CHECK(q.SetPreparedFile(*next) == nullptr);
  AppendUnits(q, 6, 13);
  CHECK(q.file_count() == 3);  // 80 and 160 prepared, 240 created inline
  CHECK(q.max_offset() == 13);
  // A prepared file that was never written is harmless at the next start.
  auto ahead = ConsumeQueue::CreateFile(q.dir(), 320, q.file_bytes());
  REQUIRE(ahead.ok());
  CHECK(q.SetPreparedFile(*ahead) == nullptr);
  ConsumeQueue reopened(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(reopened.Load().ok());
  reopened.Recover();
  CHECK(reopened.min_offset() == 5);
  CHECK(reopened.max_offset() == 13);
  CHECK(reopened.At(12)->phys_offset == 1200);
  CHECK(reopened.file_count() == 3);  // the unwritten file at 320 was dropped
}

TEST_CASE("consume queue: a queue whose files hold no valid unit (created, never written) starts empty") {
  TempRoot root;
  {
    // What a crash leaves when a file was created ahead of its first unit and nothing reached the disk.
    auto file = ConsumeQueue::CreateFile(CqDir(root.path()), 160, 80);
    REQUIRE(file.ok());
  }
  ConsumeQueue q(root.path(), "T", 0, kUnitsPerFile);
  REQUIRE(q.Load().ok());
  q.Recover();
  CHECK(q.file_count() == 0);
  CHECK(q.max_offset() == 0);
  // Re-dispatch from the commit log then rebuilds it as if it had never existed.
  AppendUnits(q, 3, 6);
  CHECK(q.min_offset() == 3);
  CHECK(q.max_offset() == 6);
  CHECK(q.At(3)->phys_offset == 300);
  CHECK_FALSE(std::filesystem::exists(CqDir(root.path()) + "/00000000000000000160"));
}
