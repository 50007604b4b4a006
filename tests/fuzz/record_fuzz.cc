// Stored-record and batch-body decoders (spec 5.6, 5.8): never crash or over-read; whatever decodes
// re-encodes to the same bytes apart from a recomputed CRC (records) and entries stay inside the input (batches).
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "model/batch.h"
#include "model/message_record.h"

using namespace mq::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto seq = ParseRecordSequence(data, size, /*check_crc=*/false);
  if (seq.ok()) {
    for (const RecordView& view : *seq) {
      std::string again;
      EncodeRecord(view.ToRecord(), again);
      FUZZ_CHECK(again.size() == view.size_bytes());
      // The encoder always writes the true body CRC; the input's CRC field was not checked.
      std::string original(reinterpret_cast<const char*>(view.data()), view.size_bytes());
      constexpr size_t kCrcOffset = 8;
      original.replace(kCrcOffset, 4, again, kCrcOffset, 4);
      FUZZ_CHECK(again == original);
    }
  }
  (void)DecodeRecord(data, size, /*check_crc=*/true);
  (void)PeekRecordKind(data, size);
  auto batch = DecodeBatch(data, size, 1024);
  if (batch.ok()) {
    const auto* end = reinterpret_cast<const char*>(data) + size;
    for (const BatchEntry& e : *batch) {
      FUZZ_CHECK(e.body.data() >= reinterpret_cast<const char*>(data) && e.body.data() + e.body.size() <= end);
      FUZZ_CHECK(e.properties.data() + e.properties.size() <= end);
    }
  }
  return 0;
}
