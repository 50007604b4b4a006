// Encode / decode cost of one stored message record (128-byte body, a few properties).
#include <benchmark/benchmark.h>

#include <string>

#include "model/message_record.h"
#include "model/properties.h"

namespace {

mq::model::MessageRecord BenchRecord() {
  mq::model::MessageRecord r;
  r.queue_id = 1;
  r.queue_offset = 1000;
  r.physical_offset = 123456789;
  r.born_timestamp_ms = 1700000000000;
  r.born_host = mq::model::HostAddress::V4(10, 0, 0, 7, 54321);
  r.store_timestamp_ms = 1700000000005;
  r.store_host = mq::model::HostAddress::V4(10, 0, 0, 1, 10911);
  r.body.assign(128, 'b');
  r.topic = "BenchTopic";
  mq::model::MessageProperties props;
  props.Set(mq::model::kKeys, "order-123456");
  props.Set(mq::model::kTags, "TagA");
  props.Set(mq::model::kUniqKey, "7F0000015C9803132D21765A91B10000");
  props.Set(mq::model::kCluster, "DefaultCluster");
  r.properties = props.Encode();
  return r;
}

void BM_Record_Encode(benchmark::State& state) {
  const auto record = BenchRecord();
  std::string buf(mq::model::EncodedSize(record), '\0');
  for (auto _ : state) {
    mq::model::EncodeRecordTo(record, reinterpret_cast<uint8_t*>(buf.data()), buf.size());
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Record_Encode);

void BM_Record_ParseView(benchmark::State& state) {
  std::string buf;
  mq::model::EncodeRecord(BenchRecord(), buf);
  const bool check_crc = state.range(0) != 0;
  for (auto _ : state) {
    auto view = mq::model::RecordView::Parse(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), check_crc);
    benchmark::DoNotOptimize(view.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Record_ParseView)->Arg(0)->Arg(1);

void BM_Record_Decode(benchmark::State& state) {
  std::string buf;
  mq::model::EncodeRecord(BenchRecord(), buf);
  for (auto _ : state) {
    auto record = mq::model::DecodeRecord(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), true);
    benchmark::DoNotOptimize(record.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}
BENCHMARK(BM_Record_Decode);

void BM_Record_FindTagsProperty(benchmark::State& state) {
  const auto record = BenchRecord();
  for (auto _ : state) {
    auto tags = mq::model::FindProperty(record.properties, mq::model::kTags);
    benchmark::DoNotOptimize(tags);
  }
}
BENCHMARK(BM_Record_FindTagsProperty);

}  // namespace

BENCHMARK_MAIN();
