// Commit log: segments, blank markers, batches, concurrent appends and the committed watermark,
// zero-copy reads pinned across retention, disk-full via the fault seam.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "model/message_layout.h"
#include "store/commit_log.h"
#include "store_test_util.h"

namespace mq::store {
namespace {

using testing::Bytes;
using testing::EncodeTestRecord;
using testing::TempDir;

std::unique_ptr<CommitLog> OpenLog(const std::string& dir, uint64_t seg_size) {
  CommitLogOptions o;
  o.dir = dir;
  o.segment_size_bytes = seg_size;
  auto log = CommitLog::Open(o);
  REQUIRE(log.ok());
  auto end = log.value()->Recover(RecoveryMode::kNormal, 0, nullptr);
  REQUIRE(end.ok());
  return std::move(log).value();
}

struct Seen {
  int64_t phys;
  std::string body;
  int32_t queue_id;
  int64_t queue_offset;
};

std::vector<Seen> ScanAll(const CommitLog& log, bool check_crc = true) {
  std::vector<Seen> out;
  ScanResult r = log.Scan(log.min_offset(), INT64_MAX, check_crc, [&](const ScannedRecord& rec) {
    out.push_back({rec.phys_offset, std::string(rec.view.body()), rec.view.queue_id(), rec.view.queue_offset()});
    return true;
  });
  CHECK_FALSE(r.hit_invalid);
  CHECK(r.end_offset == log.committed_offset());
  return out;
}

TEST_CASE("records fill a segment, then a blank marker sends the next one to the next segment") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  const std::string rec = EncodeTestRecord(std::string(300, 'a'), 1, 7);
  const int64_t n = static_cast<int64_t>(rec.size());
  int64_t expect = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = log->Append(Bytes(rec), rec.size(), 1000 + i);
    REQUIRE(r.ok());
    const int64_t pos = expect % 4096;
    if (pos + n + 8 > 4096) {
      CHECK(r->blank_bytes == 4096 - pos);
      // The marker sits at the old position and says how many bytes were left.
      auto seg = log->SegmentFor(expect);
      REQUIRE(seg != nullptr);
      CHECK(model::IsBlankMarker(seg->data() + pos, static_cast<size_t>(4096 - pos)));
      expect = expect - pos + 4096;
    } else {
      CHECK(r->blank_bytes == 0);
    }
    CHECK(r->phys_offset == expect);
    expect += n;
    CHECK(r->end_offset == expect);
  }
  CHECK(log->max_offset() == expect);
  CHECK(log->committed_offset() == expect);
  auto seen = ScanAll(*log);
  REQUIRE(seen.size() == 40);
  for (const Seen& s : seen) {
    CHECK(s.queue_offset == 7);  // the caller's queue offset survives the patch
    auto slice = log->Read(s.phys, static_cast<size_t>(n));
    REQUIRE(slice.ok());
    auto view = model::RecordView::Parse(slice->data, slice->size_bytes, true);
    REQUIRE(view.ok());
    CHECK(view->physical_offset() == s.phys);
  }
  CHECK(log->segment_count() >= 4);
}

TEST_CASE("a batch never straddles two segments") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += EncodeTestRecord(std::string(100 + i, 'b'), 2, 10 + i);
  for (int round = 0; round < 12; ++round) {
    auto r = log->Append(Bytes(batch), batch.size(), 5);
    REQUIRE(r.ok());
    CHECK(r->record_count == 5);
    CHECK(r->phys_offset / 4096 == (r->end_offset - 1) / 4096);
    CHECK(r->phys_offset % 4096 + static_cast<int64_t>(batch.size()) + 8 <= 4096);
  }
  auto seen = ScanAll(*log);
  REQUIRE(seen.size() == 60);
  for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i].queue_offset == 10 + static_cast<int64_t>(i % 5));
}

TEST_CASE("inputs that are not records or cannot fit a segment are refused with nothing reserved") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  std::string junk(200, 'x');
  auto bad = log->Append(Bytes(junk), junk.size(), 1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == ResponseCode::kMessageIllegal);
  const std::string huge = EncodeTestRecord(std::string(4096, 'h'));
  auto too_big = log->Append(Bytes(huge), huge.size(), 1);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().code() == ResponseCode::kMessageIllegal);
  CHECK(log->max_offset() == 0);
}

TEST_CASE("four concurrent writers: every record intact, ordered per writer, watermark exact") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 65536);
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 3000;
  std::atomic<bool> stop_reader{false};
  std::atomic<int64_t> verified_bytes{0};
  std::atomic<int> reader_errors{0};
  // The reader checks that committed never runs ahead of completed bytes: everything below the
  // watermark parses with a good CRC and the scan reaches the watermark exactly.
  std::thread reader([&] {
    int64_t from = 0;
    while (!stop_reader.load()) {
      const int64_t committed = log->committed_offset();
      ScanResult r = log->Scan(from, committed, true, [](const ScannedRecord&) { return true; });
      if (r.hit_invalid || r.end_offset != committed) reader_errors.fetch_add(1);
      from = r.end_offset;
      verified_bytes.store(from);
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string body = std::to_string(w) + ":" + std::to_string(i) + std::string(static_cast<size_t>(i % 300), 'p');
        const std::string rec = EncodeTestRecord(body, w, i);
        auto r = log->Append(Bytes(rec), rec.size(), 1000);
        REQUIRE(r.ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  stop_reader.store(true);
  reader.join();
  CHECK(reader_errors.load() == 0);
  CHECK(log->committed_offset() == log->max_offset());
  auto seen = ScanAll(*log);
  REQUIRE(seen.size() == static_cast<size_t>(kWriters * kPerWriter));
  std::map<int32_t, int64_t> next;
  for (const Seen& s : seen) {
    CHECK(s.queue_offset == next[s.queue_id]);  // per writer, physical order is append order
    CHECK(s.body.rfind(std::to_string(s.queue_id) + ":" + std::to_string(s.queue_offset), 0) == 0);
    next[s.queue_id] = s.queue_offset + 1;
  }
  for (int w = 0; w < kWriters; ++w) CHECK(next[w] == kPerWriter);
}

TEST_CASE("a read slice keeps its segment mapped after retention destroyed it") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  const std::string rec = EncodeTestRecord(std::string(500, 'r'));
  for (int i = 0; i < 30; ++i) REQUIRE(log->Append(Bytes(rec), rec.size(), 1).ok());
  auto slice = log->Read(0, rec.size());
  REQUIRE(slice.ok());
  const std::string path = slice->segment->path();
  const int segments_before = static_cast<int>(log->segment_count());
  const int deleted = log->DeleteExpiredFiles(0, INT64_MAX / 2, false, 100);
  CHECK(deleted >= 1);
  CHECK(deleted < segments_before);           // never the segment holding the write head
  CHECK(log->min_offset() == deleted * 4096);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(slice->segment->destroyed());
  auto view = model::RecordView::Parse(slice->data, slice->size_bytes, true);  // still mapped
  REQUIRE(view.ok());
  CHECK(view->body() == std::string(500, 'r'));
  CHECK_FALSE(log->Read(0, rec.size()).ok());  // below the new min offset
  CHECK(ScanAll(*log).size() > 0);
}

TEST_CASE("retention stops at the first young segment and respects max_files") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  const std::string rec = EncodeTestRecord(std::string(1000, 'y'));
  for (int i = 0; i < 20; ++i) REQUIRE(log->Append(Bytes(rec), rec.size(), 1).ok());
  const int64_t now = log->SegmentFor(0)->last_modified_ms();
  CHECK(log->DeleteExpiredFiles(3600000, now, false, 10) == 0);  // all young
  CHECK(log->DeleteExpiredFiles(3600000, now, true, 2) == 2);    // forced, bounded
  CHECK(log->min_offset() == 2 * 4096);
}

TEST_CASE("disk full: segment creation fails cleanly, earlier data intact, writes resume when it clears") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 4096);
  const std::string rec = EncodeTestRecord(std::string(900, 'd'));
  REQUIRE(log->Append(Bytes(rec), rec.size(), 1).ok());
  GlobalFileFaults().fail_create.store(true);
  int ok_count = 1;
  Status failure;
  for (int i = 0; i < 10; ++i) {
    auto r = log->Append(Bytes(rec), rec.size(), 1);
    if (!r.ok()) {
      failure = r.status();
      break;
    }
    ++ok_count;
  }
  CHECK(failure.code() == ResponseCode::kServiceNotAvailable);
  CHECK(failure.remark().find("CREATE_MAPEDFILE_FAILED") != std::string::npos);
  CHECK(log->max_offset() == ok_count * static_cast<int64_t>(rec.size()));  // nothing reserved
  CHECK(ScanAll(*log).size() == static_cast<size_t>(ok_count));
  GlobalFileFaults().fail_create.store(false);
  auto r = log->Append(Bytes(rec), rec.size(), 1);
  REQUIRE(r.ok());
  CHECK(r->phys_offset == 4096);
  CHECK(r->blank_bytes > 0);
  CHECK(ScanAll(*log).size() == static_cast<size_t>(ok_count + 1));
}

TEST_CASE("the preparer path creates the next segment ahead so appends do not create inline") {
  TempDir tmp;
  std::atomic<int> wanted{0};
  CommitLogOptions o;
  o.dir = tmp.path();
  o.segment_size_bytes = 65536;
  o.want_next_segment = [&] { wanted.fetch_add(1); };
  auto opened = CommitLog::Open(o);
  REQUIRE(opened.ok());
  auto& log = *opened.value();
  REQUIRE(log.Recover(RecoveryMode::kNormal, 0, nullptr).ok());
  REQUIRE(log.PrepareNextSegment().ok());  // segment 0; each next one once the head passes the middle
  const std::string rec = EncodeTestRecord(std::string(1000, 'n'));
  for (int i = 0; i < 200; ++i) {
    REQUIRE(log.Append(Bytes(rec), rec.size(), 1).ok());
    if (wanted.exchange(0) > 0) REQUIRE(log.PrepareNextSegment().ok());
  }
  CHECK(log.segments_created_inline() == 0);
  CHECK(log.segment_count() >= 4);
}

}  // namespace
}  // namespace mq::store
