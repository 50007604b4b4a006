// Recovery (spec 6.6): clean stop, torn tails, abnormal start-file choice, the real 4.9.8 store,
// abort and lock files.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "store/commit_log.h"
#include "store/store_files.h"
#include "store_test_util.h"

namespace mq::store {
namespace {

using testing::Bytes;
using testing::EncodeTestRecord;
using testing::TempDir;

Result<std::unique_ptr<CommitLog>> OpenRaw(const std::string& dir, uint64_t seg_size) {
  CommitLogOptions o;
  o.dir = dir;
  o.segment_size_bytes = seg_size;
  return CommitLog::Open(o);
}

// Writes `count` records of ~600 bytes with store times base_ts + i; returns the end offset.
int64_t Fill(const std::string& dir, uint64_t seg_size, int count, int64_t base_ts) {
  auto log = OpenRaw(dir, seg_size);
  REQUIRE(log.ok());
  REQUIRE(log.value()->Recover(RecoveryMode::kNormal, 0, nullptr).ok());
  for (int i = 0; i < count; ++i) {
    const std::string rec = EncodeTestRecord(std::string(600, static_cast<char>('a' + i % 26)), 0, i);
    REQUIRE(log.value()->Append(Bytes(rec), rec.size(), base_ts + i).ok());
  }
  REQUIRE(log.value()->Flush().ok());
  return log.value()->max_offset();
}

TEST_CASE("recovery after a clean stop restores the exact end and every record") {
  TempDir tmp;
  const int64_t end = Fill(tmp.path(), 8192, 50, 1000);
  auto log = OpenRaw(tmp.path(), 8192);
  REQUIRE(log.ok());
  int visited = 0;
  auto got = log.value()->Recover(RecoveryMode::kNormal, 0, [&](const ScannedRecord&) { ++visited; });
  REQUIRE(got.ok());
  CHECK(got.value() == end);
  CHECK(visited > 0);  // from the third-newest segment only
  CHECK(log.value()->committed_offset() == end);
  CHECK(log.value()->flushed_offset() == end);
  int all = 0;
  log.value()->Scan(0, INT64_MAX, true, [&](const ScannedRecord&) { return ++all > 0; });
  CHECK(all == 50);
  // Appending continues right at the end.
  const std::string rec = EncodeTestRecord("after");
  auto r = log.value()->Append(Bytes(rec), rec.size(), 2000);
  REQUIRE(r.ok());
  CHECK((r->phys_offset == end || r->phys_offset % 8192 == 0));
}

TEST_CASE("a torn tail (half a record, garbage, a stray newer segment) is truncated") {
  TempDir tmp;
  constexpr uint64_t kSeg = 8192;
  const int64_t end = Fill(tmp.path(), kSeg, 30, 1000);
  {
    // Half a record at the end, then garbage; plus a newer segment full of junk.
    auto log = OpenRaw(tmp.path(), kSeg);
    REQUIRE(log.ok());
    auto seg = log.value()->SegmentFor(end);
    REQUIRE(seg != nullptr);
    const std::string rec = EncodeTestRecord(std::string(600, 'z'), 0, 99);
    const uint64_t pos = static_cast<uint64_t>(end) % kSeg;
    const size_t half = std::min<size_t>(rec.size() / 2, kSeg - pos);
    std::memcpy(seg->data() + pos, rec.data(), half);
    const int64_t next_start = (end / static_cast<int64_t>(kSeg) + 1) * static_cast<int64_t>(kSeg);
    auto stray = MappedFile::Open(tmp.path(), next_start, kSeg, true);
    REQUIRE(stray.ok());
    std::memset(stray.value()->data(), 0x5a, 1000);
  }
  auto log = OpenRaw(tmp.path(), kSeg);
  REQUIRE(log.ok());
  auto got = log.value()->Recover(RecoveryMode::kNormal, 0, nullptr);
  REQUIRE(got.ok());
  CHECK(got.value() == end);
  auto seg = log.value()->SegmentFor(end);
  REQUIRE(seg != nullptr);
  for (uint64_t i = static_cast<uint64_t>(end) % kSeg; i < kSeg; ++i) REQUIRE(seg->data()[i] == 0);  // zeroed
  const int64_t next_start = (end / static_cast<int64_t>(kSeg) + 1) * static_cast<int64_t>(kSeg);
  CHECK_FALSE(std::filesystem::exists(tmp.path() + "/" + FileNameForOffset(next_start)));
  int all = 0;
  ScanResult scan = log.value()->Scan(0, INT64_MAX, true, [&](const ScannedRecord&) { return ++all > 0; });
  CHECK(all == 30);
  CHECK_FALSE(scan.hit_invalid);
}

TEST_CASE("a record with a bad body CRC ends recovery there when checkCRCOnRecover is on") {
  TempDir tmp;
  const int64_t end = Fill(tmp.path(), 1 << 16, 10, 1000);
  const std::string rec = EncodeTestRecord(std::string(600, 'a'), 0, 0);
  const int64_t rec_bytes = static_cast<int64_t>(rec.size());
  {
    auto log = OpenRaw(tmp.path(), 1 << 16);
    REQUIRE(log.ok());
    log.value()->SegmentFor(0)->data()[7 * rec_bytes + 200] ^= 0xff;  // inside record 7's body
  }
  auto log = OpenRaw(tmp.path(), 1 << 16);
  REQUIRE(log.ok());
  auto got = log.value()->Recover(RecoveryMode::kNormal, 0, nullptr);
  REQUIRE(got.ok());
  CHECK(got.value() == 7 * rec_bytes);
  CHECK(got.value() < end);
}

TEST_CASE("abnormal recovery starts at the newest segment older than the checkpoint and re-dispatches") {
  TempDir tmp;
  constexpr uint64_t kSeg = 8192;  // 12 records of ~700 bytes per segment
  const int64_t end = Fill(tmp.path(), kSeg, 60, 1000);
  auto log = OpenRaw(tmp.path(), kSeg);
  REQUIRE(log.ok());
  int64_t first_visited = -1;
  int visited = 0;
  // Record i has store time 1000 + i; 1030 falls inside segment 2 (records 22..32).
  auto got = log.value()->Recover(RecoveryMode::kAbnormal, 1030, [&](const ScannedRecord& r) {
    if (first_visited < 0) first_visited = r.phys_offset;
    ++visited;
  });
  REQUIRE(got.ok());
  CHECK(got.value() == end);
  CHECK(first_visited % static_cast<int64_t>(kSeg) == 0);
  auto seg = log.value()->SegmentFor(first_visited);
  auto first = model::RecordView::Parse(seg->data(), kSeg, false);
  REQUIRE(first.ok());
  CHECK(first->store_timestamp_ms() <= 1030);
  auto next = log.value()->SegmentFor(first_visited + static_cast<int64_t>(kSeg));
  REQUIRE(next != nullptr);
  CHECK(model::RecordView::Parse(next->data(), kSeg, false)->store_timestamp_ms() > 1030);
  CHECK(visited < 60);
}

TEST_CASE("the real RocketMQ 4.9.8 commit log opens, recovers and iterates every record") {
  const char* fixtures = std::getenv("MQ_FIXTURES");
  REQUIRE(fixtures != nullptr);
  const std::string base = std::string(fixtures) + "/store-4.9.8";
  TempDir tmp;
  std::filesystem::copy(base + "/store/commitlog", tmp.sub("commitlog"));
  for (auto& e : std::filesystem::directory_iterator(tmp.sub("commitlog"))) {
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  }
  std::ifstream in(base + "/manifest.json");
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document manifest;
  manifest.Parse(text.str().c_str());
  REQUIRE(manifest.IsArray());

  auto log = OpenRaw(tmp.sub("commitlog"), 262144);
  REQUIRE(log.ok());
  std::vector<std::pair<int64_t, int32_t>> seen;
  auto end = log.value()->Recover(RecoveryMode::kAbnormal, 0, [&](const ScannedRecord& r) {
    seen.emplace_back(r.phys_offset, static_cast<int32_t>(r.view.size_bytes()));
  });
  REQUIRE(end.ok());
  size_t i = 0;
  int64_t manifest_end = 0;
  for (const auto& m : manifest.GetArray()) {
    if (m.HasMember("blank") && m["blank"].IsBool() && m["blank"].GetBool()) continue;
    REQUIRE(i < seen.size());
    CHECK(seen[i].first == m["physicalOffset"].GetInt64());
    CHECK(seen[i].second == m["size"].GetInt());
    manifest_end = m["physicalOffset"].GetInt64() + m["size"].GetInt();
    ++i;
  }
  CHECK(i == seen.size());
  CHECK(seen.size() == 561);
  CHECK(end.value() == manifest_end);
  CHECK(log.value()->min_offset() == 0);
  // The dispatcher view: Scan from 0 crosses the blank marker into the second segment.
  size_t scanned = 0;
  log.value()->Scan(0, INT64_MAX, true, [&](const ScannedRecord&) { return ++scanned > 0; });
  CHECK(scanned == 561);
}

TEST_CASE("the lock file refuses a second store on the same directory") {
  TempDir tmp;
  auto first = StoreLock::Acquire(tmp.path());
  REQUIRE(first.ok());
  auto second = StoreLock::Acquire(tmp.path());
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().remark().find("locked by another store") != std::string::npos);
  first.value().reset();
  CHECK(StoreLock::Acquire(tmp.path()).ok());
}

TEST_CASE("abort file marks a running store") {
  TempDir tmp;
  CHECK_FALSE(AbortFileExists(tmp.path()));
  REQUIRE(CreateAbortFile(tmp.path()).ok());
  CHECK(AbortFileExists(tmp.path()));
  REQUIRE(RemoveAbortFile(tmp.path()).ok());
  CHECK_FALSE(AbortFileExists(tmp.path()));
}

}  // namespace
}  // namespace mq::store
