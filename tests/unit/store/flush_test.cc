// Flush service: group commit shares fdatasyncs, SYNC timeout, failed fsync never acknowledges,
// ASYNC interval flushing, completions on the caller's shard; checkpoint file round trip.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "runtime/shard_set.h"
#include "store/checkpoint.h"
#include "store/commit_log.h"
#include "store/disk_usage.h"
#include "store/flush_service.h"
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
  REQUIRE(log.value()->Recover(RecoveryMode::kNormal, 0, nullptr).ok());
  return std::move(log).value();
}

TEST_CASE("group commit: many concurrent SYNC waiters share few fdatasyncs") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 1 << 20);
  FlushOptions fo;
  fo.mode = FlushMode::kSync;
  std::atomic<int64_t> last_hook_offset{0};
  fo.on_flushed = [&](int64_t off, int64_t) { last_hook_offset.store(off); };
  FlushService flush(*log, fo);
  REQUIRE(flush.Start().ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string rec = EncodeTestRecord(std::string(200, 'g'), t, i);
        auto r = log->Append(Bytes(rec), rec.size(), 1);
        REQUIRE(r.ok());
        Status s = flush.WaitFlushedBlocking(r->end_offset, 5000);
        CHECK(s.ok());
        CHECK(flush.flushed_offset() >= r->end_offset);
        acked.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t rounds = flush.sync_rounds();
  MESSAGE("acked " << acked.load() << " appends with " << rounds << " fdatasync rounds");
  CHECK(acked.load() == kThreads * kPerThread);
  CHECK(rounds >= 1);
  CHECK(rounds <= static_cast<uint64_t>(kThreads * kPerThread / 2));  // shared, not one per append
  CHECK(last_hook_offset.load() == flush.flushed_offset());
  flush.Stop();
}

TEST_CASE("SYNC timeout: FLUSH_DISK_TIMEOUT, and the message is stored") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 1 << 16);
  FlushOptions fo;
  fo.mode = FlushMode::kSync;
  fo.sync_flush_timeout_ms = 50;
  FlushService flush(*log, fo);  // not started: nobody flushes
  SyncFlushWaiters waiters(flush);
  const std::string rec = EncodeTestRecord("timeout");
  auto r = log->Append(Bytes(rec), rec.size(), 1);
  REQUIRE(r.ok());
  Status got(ResponseCode::kSystemError, "not called");
  waiters.Add(r->end_offset, 1000, [&](Status s) { got = std::move(s); });
  CHECK(waiters.Poll(1049) == 0);
  CHECK(waiters.Poll(1050) == 1);
  CHECK(got.code() == ResponseCode::kFlushDiskTimeout);
  CHECK(log->Read(r->phys_offset, rec.size()).ok());
  CHECK(flush.WaitFlushedBlocking(r->end_offset, 20).code() == ResponseCode::kFlushDiskTimeout);
}

TEST_CASE("a failed fdatasync never acknowledges, even after the fault clears") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 1 << 16);
  FlushOptions fo;
  fo.mode = FlushMode::kSync;
  FlushService flush(*log, fo);
  REQUIRE(flush.Start().ok());
  const std::string rec = EncodeTestRecord("durable?");
  auto first = log->Append(Bytes(rec), rec.size(), 1);
  REQUIRE(first.ok());
  REQUIRE(flush.WaitFlushedBlocking(first->end_offset, 5000).ok());
  GlobalFileFaults().fail_sync.store(true);
  auto second = log->Append(Bytes(rec), rec.size(), 1);
  REQUIRE(second.ok());
  Status s = flush.WaitFlushedBlocking(second->end_offset, 5000);
  CHECK(s.code() == ResponseCode::kFlushDiskTimeout);
  CHECK(flush.failed());
  GlobalFileFaults().fail_sync.store(false);
  SyncFlushWaiters waiters(flush);
  int ok = 0, errors = 0;
  auto third = log->Append(Bytes(rec), rec.size(), 1);
  REQUIRE(third.ok());
  waiters.Add(first->end_offset, 0, [&](Status st) { (st.ok() ? ok : errors)++; });  // flushed before
  waiters.Add(second->end_offset, 0, [&](Status st) { (st.ok() ? ok : errors)++; });
  waiters.Add(third->end_offset, 0, [&](Status st) { (st.ok() ? ok : errors)++; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  waiters.Poll(1);
  CHECK(ok == 1);
  CHECK(errors == 2);
  CHECK(flush.flushed_offset() == first->end_offset);
  flush.Stop();
}

TEST_CASE("ASYNC flush: dirty pages are flushed on the interval, a final flush on stop") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 1 << 20);
  FlushOptions fo;
  fo.flush_interval_ms = 20;
  FlushService flush(*log, fo);
  REQUIRE(flush.Start().ok());
  const std::string rec = EncodeTestRecord(std::string(1000, 'a'));
  for (int i = 0; i < 20; ++i) REQUIRE(log->Append(Bytes(rec), rec.size(), 1).ok());  // > 4 pages
  const int64_t target = log->committed_offset();
  for (int i = 0; i < 200 && flush.flushed_offset() < target; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(flush.flushed_offset() == target);
  REQUIRE(log->Append(Bytes(rec), rec.size(), 1).ok());  // < 4 pages: waits for thorough or stop
  flush.Stop();
  CHECK(flush.flushed_offset() == log->committed_offset());
}

TEST_CASE("SYNC completions run on the shard that registered them") {
  TempDir tmp;
  auto log = OpenLog(tmp.path(), 1 << 20);
  FlushOptions fo;
  fo.mode = FlushMode::kSync;
  FlushService flush(*log, fo);
  REQUIRE(flush.Start().ok());
  runtime::RuntimeOptions ro;
  ro.shard_count = 2;
  auto shards = runtime::ShardSet::Start(ro);
  REQUIRE(shards.ok());
  std::atomic<int> done_on_right_shard{0};
  std::atomic<int> done{0};
  std::vector<std::unique_ptr<SyncFlushWaiters>> per_shard;
  for (uint32_t sid = 0; sid < 2; ++sid) per_shard.push_back(std::make_unique<SyncFlushWaiters>(flush));
  for (uint32_t sid = 0; sid < 2; ++sid) {
    REQUIRE(shards.value()->SubmitTo(sid, [&, sid] {
      SyncFlushWaiters* waiters = per_shard[sid].get();  // used only on shard `sid` from here on
      for (int i = 0; i < 20; ++i) {
        const std::string rec = EncodeTestRecord("on-shard", static_cast<int32_t>(sid), i);
        auto r = log->Append(Bytes(rec), rec.size(), 1);
        REQUIRE(r.ok());
        waiters->Add(r->end_offset, runtime::CurrentShard()->now_ms(), [&, sid](Status s) {
          if (s.ok() && runtime::CurrentShard() != nullptr && runtime::CurrentShard()->id() == sid) {
            done_on_right_shard.fetch_add(1);
          }
          done.fetch_add(1);
        });
      }
      auto* shard = runtime::CurrentShard();
      shard->RunEvery(1, [waiters, shard] { waiters->Poll(shard->now_ms()); });
    }));
  }
  for (int i = 0; i < 500 && done.load() < 40; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(done.load() == 40);
  CHECK(done_on_right_shard.load() == 40);
  shards.value()->RequestStop();
  shards.value()->Join();
  flush.Stop();
}

TEST_CASE("checkpoint: 4096 bytes, big-endian timestamps, min timestamp with 3 s slack") {
  TempDir tmp;
  {
    auto cp = Checkpoint::Open(tmp.sub("checkpoint"));
    REQUIRE(cp.ok());
    CHECK(cp.value()->MinTimestampMs() == 0);
    cp.value()->set_physic_ms(1700000010000);
    cp.value()->set_logics_ms(1700000005000);
    cp.value()->set_index_ms(1700000000000);
    REQUIRE(cp.value()->Flush().ok());
  }
  CHECK(std::filesystem::file_size(tmp.sub("checkpoint")) == 4096);
  auto cp = Checkpoint::Open(tmp.sub("checkpoint"));
  REQUIRE(cp.ok());
  CHECK(cp.value()->physic_ms() == 1700000010000);
  CHECK(cp.value()->MinTimestampMs() == 1700000002000);
  CHECK(cp.value()->MinTimestampIndexMs() == 1700000000000);
  // The 4.9.8 fixture's checkpoint reads as plausible 2026 wall-clock times.
  std::filesystem::copy_file(std::string(std::getenv("MQ_FIXTURES")) + "/store-4.9.8/store/checkpoint",
                             tmp.sub("fixture-checkpoint"));
  std::filesystem::permissions(tmp.sub("fixture-checkpoint"), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  auto fixture = Checkpoint::Open(tmp.sub("fixture-checkpoint"));
  REQUIRE(fixture.ok());
  CHECK(fixture.value()->physic_ms() > 1700000000000);
  CHECK(fixture.value()->logics_ms() >= fixture.value()->physic_ms());
}

TEST_CASE("disk guard: refuses above 90 % and lifts itself when space frees") {
  double used = 0.5;
  DiskSpaceGuard guard("/", 0.90, [&]() -> Result<double> { return used; });
  CHECK(guard.Refresh() == doctest::Approx(0.5));
  CHECK_FALSE(guard.full());
  used = 0.95;
  guard.Refresh();
  CHECK(guard.full());
  used = 0.80;
  guard.Refresh();
  CHECK_FALSE(guard.full());
  auto real = DiskUsedRatio("/tmp");
  REQUIRE(real.ok());
  CHECK(real.value() > 0.0);
  CHECK(real.value() < 1.0);
}

}  // namespace
}  // namespace mq::store
