// Consume-queue reads (a pull's batch of 32 units) and key-index lookups on populated files in a
// temporary directory. Files are small (benchmarks must stay quick); costs are per operation.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/consume_queue.h"
#include "store/index_service.h"

namespace {

constexpr int64_t kUnits = 200000;
constexpr int kKeys = 50000;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mq-cq-bench-XXXXXX";
    const char* d = mkdtemp(tmpl);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void BM_Store_ConsumeQueueRead32(benchmark::State& state) {
  TempDir dir;
  mq::store::ConsumeQueue q(dir.path(), "BenchTopic", 0, 20000);  // 400 KB files: reads cross files
  if (!q.Load().ok()) return state.SkipWithError("load failed");
  for (int64_t i = 0; i < kUnits; ++i) {
    if (!q.Append(i, i * 256, 256, i & 7).ok()) return state.SkipWithError("append failed");
  }
  std::vector<mq::store::CqUnit> out;
  out.reserve(32);
  int64_t offset = 0;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(q.Read(offset, 32, out));
    offset = (offset + 7919) % (kUnits - 32);
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_Store_ConsumeQueueRead32);

void BM_Store_IndexQueryOffsets(benchmark::State& state) {
  TempDir dir;
  // 2 files of 100k entries, 25k slots: chains of ~4 entries, like a loaded default file.
  mq::store::IndexService index(dir.path(), 25000, 100000);
  if (!index.Load(true, 0).ok()) return state.SkipWithError("load failed");
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < kKeys; ++i) {
    const std::string uniq = "UNIQ" + std::to_string(i);
    const std::string key = "order-" + std::to_string(i);
    if (!index.BuildIndex("BenchTopic", key, uniq, i * 256, t0 + i).ok()) return state.SkipWithError("put failed");
  }
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("order-" + std::to_string((i * 7919) % kKeys));
  size_t k = 0;
  for (auto _ : state) {
    auto r = index.QueryOffsets("BenchTopic", keys[k], 64, 0, t0 + kKeys);
    benchmark::DoNotOptimize(r.phys_offsets.data());
    k = (k + 1) & 1023;
  }
}
BENCHMARK(BM_Store_IndexQueryOffsets);

}  // namespace

BENCHMARK_MAIN();
