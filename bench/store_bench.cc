// Commit-log benchmarks, each next to its raw baseline measured in the same run:
//   Append (128 B, 1 KiB; 1 and 2 writer threads)  vs  memcpy into a prefaulted mmap, the cursor
//                                                      advanced by an atomic fetch_add
//   SYNC_FLUSH acknowledged appends/s (group commit) vs  a raw write + fdatasync loop, into a zero-filled
//                                                      file and into a fallocated one (what a new segment
//                                                      is now: it is no longer zero-filled and synced)
//   preparing a segment (create + read-populate)       vs  what preparing used to add: writing its zeros
//                                                      and fdatasync
// Files live in a temporary directory removed at exit; MQ_BENCH_DIR overrides its parent.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "model/message_record.h"
#include "store/commit_log.h"
#include "store/flush_service.h"

namespace {

using namespace mq;
using namespace mq::store;

constexpr uint64_t kSegmentBytes = 64ull << 20;

std::string EncodeRecordOfSize(size_t total_bytes) {
  model::MessageRecord r;
  r.topic = "BenchTopic";
  r.born_host = model::HostAddress::V4(10, 0, 0, 1, 5000);
  r.store_host = model::HostAddress::V4(10, 0, 0, 2, 10911);
  const size_t fixed = model::EncodedSize(r);
  r.body.assign(total_bytes > fixed ? total_bytes - fixed : 1, 'x');
  std::string out;
  model::EncodeRecord(r, out);
  return out;
}

struct Env {
  std::string root;
  std::unique_ptr<CommitLog> log;
  std::unique_ptr<FlushService> flush;
  FlushService* flush_raw = nullptr;
  // Raw baseline: one prefaulted shared mapping of a segment's size.
  int raw_fd = -1;
  uint8_t* raw = nullptr;
  // Raw baseline 2: fallocated only (unwritten extents, as a freshly created segment).
  int falloc_fd = -1;
  uint8_t* falloc = nullptr;
  std::atomic<uint64_t> raw_cursor{0};

  Env(FlushMode mode) {
    const char* parent = std::getenv("MQ_BENCH_DIR");
    std::string tmpl = (std::filesystem::path(parent ? parent : std::filesystem::temp_directory_path().string()) /
                        "mq-store-bench-XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
    CommitLogOptions o;
    o.dir = root + "/commitlog";
    o.segment_size_bytes = kSegmentBytes;
    o.want_next_segment = [this] {
      if (flush_raw != nullptr) flush_raw->WakePreparer();
    };
    log = std::move(CommitLog::Open(o)).value();
    (void)log->Recover(RecoveryMode::kNormal, 0, nullptr);
    FlushOptions fo;
    fo.mode = mode;
    flush = std::make_unique<FlushService>(*log, fo);
    flush_raw = flush.get();
    (void)flush->Start();
    raw_fd = ::open((root + "/raw").c_str(), O_RDWR | O_CREAT, 0644);
    (void)::posix_fallocate(raw_fd, 0, kSegmentBytes);
    raw = static_cast<uint8_t*>(::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, raw_fd, 0));
    ::madvise(raw, kSegmentBytes, 23 /* MADV_POPULATE_WRITE */);
    (void)::fdatasync(raw_fd);  // populating dirtied every page: start both sides clean
    falloc_fd = ::open((root + "/falloc").c_str(), O_RDWR | O_CREAT, 0644);
    (void)::posix_fallocate(falloc_fd, 0, kSegmentBytes);
    falloc = static_cast<uint8_t*>(::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, falloc_fd, 0));
    (void)log->PrepareNextSegment();
  }
  ~Env() {
    flush->Stop();
    ::munmap(raw, kSegmentBytes);
    ::close(raw_fd);
    ::munmap(falloc, kSegmentBytes);
    ::close(falloc_fd);
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  // Keeps disk use bounded across long runs: the flush thread has flushed older segments.
  void Trim() { log->DeleteExpiredFiles(0, INT64_MAX / 2, true, 1000); }
};

Env* g_async = nullptr;
Env* g_sync = nullptr;

void BM_Store_CommitLogAppend(benchmark::State& state) {
  const std::string rec = EncodeRecordOfSize(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = g_async->log->Append(reinterpret_cast<const uint8_t*>(rec.data()), rec.size(), 1700000000000);
    if (!r.ok()) state.SkipWithError(r.status().remark().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(rec.size()));
  if (state.thread_index() == 0) g_async->Trim();
}

void BM_Store_RawMmapMemcpyBaseline(benchmark::State& state) {
  const std::string rec = EncodeRecordOfSize(static_cast<size_t>(state.range(0)));
  const uint64_t n = rec.size();
  for (auto _ : state) {
    const uint64_t at = g_async->raw_cursor.fetch_add(n, std::memory_order_relaxed) % (kSegmentBytes - n);
    std::memcpy(g_async->raw + at, rec.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}

void BM_Store_SyncFlushAppend(benchmark::State& state) {
  const std::string rec = EncodeRecordOfSize(128);
  for (auto _ : state) {
    auto r = g_sync->log->Append(reinterpret_cast<const uint8_t*>(rec.data()), rec.size(), 1700000000000);
    if (!r.ok() || !g_sync->flush->WaitFlushedBlocking(r->end_offset, 5000).ok()) state.SkipWithError("sync append");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) g_sync->Trim();
}

void BM_Store_RawFdatasyncBaseline(benchmark::State& state) {
  const std::string rec = EncodeRecordOfSize(128);
  uint64_t at = 0;
  for (auto _ : state) {
    std::memcpy(g_sync->raw + at, rec.data(), rec.size());
    at = (at + rec.size()) % (kSegmentBytes - rec.size());
    if (::fdatasync(g_sync->raw_fd) != 0) state.SkipWithError("fdatasync");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Store_RawFdatasyncFallocatedBaseline(benchmark::State& state) {
  const std::string rec = EncodeRecordOfSize(128);
  uint64_t at = 0;
  for (auto _ : state) {
    std::memcpy(g_sync->falloc + at, rec.data(), rec.size());
    at = (at + rec.size()) % (kSegmentBytes - rec.size());
    if (::fdatasync(g_sync->falloc_fd) != 0) state.SkipWithError("fdatasync");
  }
  state.SetItemsProcessed(state.iterations());
}

// The preparer's work for one new segment, as CommitLog::PrepareNextSegment does it.
void BM_Store_PrepareSegment(benchmark::State& state) {
  int64_t start = 0;
  for (auto _ : state) {
    auto f = MappedFile::Open(g_async->root, start, kSegmentBytes, /*create=*/true);
    if (!f.ok()) {
      state.SkipWithError(f.status().remark().c_str());
      break;
    }
    (*f)->PrefaultRead();
    state.PauseTiming();
    (*f)->Destroy();
    start += static_cast<int64_t>(kSegmentBytes);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kSegmentBytes));
}

// What preparing a segment used to add: populating it for write (zeros) and syncing them.
void BM_Store_RawZeroFillSyncBaseline(benchmark::State& state) {
  const std::string path = g_async->root + "/zerofill";
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    (void)::posix_fallocate(fd, 0, kSegmentBytes);
    void* p = ::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::madvise(p, kSegmentBytes, 23 /* MADV_POPULATE_WRITE */);
    if (::fdatasync(fd) != 0) state.SkipWithError("fdatasync");
    state.PauseTiming();
    ::munmap(p, kSegmentBytes);
    ::close(fd);
    ::unlink(path.c_str());
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kSegmentBytes));
}

BENCHMARK(BM_Store_CommitLogAppend)->Arg(128)->Arg(1024)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Store_RawMmapMemcpyBaseline)->Arg(128)->Arg(1024)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Store_SyncFlushAppend)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Store_RawFdatasyncBaseline)->Threads(1)->UseRealTime();
BENCHMARK(BM_Store_RawFdatasyncFallocatedBaseline)->Threads(1)->UseRealTime();
BENCHMARK(BM_Store_PrepareSegment)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Store_RawZeroFillSyncBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Env async_env(FlushMode::kAsync);
  Env sync_env(FlushMode::kSync);
  g_async = &async_env;
  g_sync = &sync_env;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
