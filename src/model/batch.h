// SEND_BATCH_MESSAGE body (spec 5.8): entries back-to-back, each
//   TOTALSIZE(4) MAGICCODE(4, 0) BODYCRC(4, 0) FLAG(4) BODYLENGTH(4) BODY PROPERTIESLENGTH(2) PROPERTIES.
// Real 4.9.8 Java, Go and C++ clients write TOTALSIZE = 22 + body + properties (the spec's "20" is wrong);
// the reference broker walks the fields and ignores TOTALSIZE, MAGICCODE and BODYCRC, and so do we.
// Entries are views into the caller's buffer; every length is bounded by the bytes left.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mq::model {

inline constexpr size_t kBatchEntryFixedBytes = 22;
inline constexpr size_t kDefaultMaxBatchEntries = 65536;

struct BatchEntry {
  int32_t flag = 0;
  std::string_view body;
  std::string_view properties;  // encoded (5.1), normally carrying its own UNIQ_KEY
};

// MESSAGE_ILLEGAL on an empty batch, a truncated/over-long field, or more than max_entries entries.
Result<std::vector<BatchEntry>> DecodeBatch(const uint8_t* data, size_t size_bytes, size_t max_entries);

size_t BatchEntryEncodedSize(std::string_view body, std::string_view properties);
// Appends one entry the way the Java client does (magic and CRC 0). properties must be <= 32767 bytes.
void EncodeBatchEntry(int32_t flag, std::string_view body, std::string_view properties, std::string& out);

// Stored properties of a batch entry: the entry's own properties, then the batch-level ones (header
// properties, plus broker-added CLUSTER). A \x02 is inserted only when both are non-empty and the entry's
// properties do not already end with one.
void AppendBatchProperties(std::string_view entry_properties, std::string_view batch_properties, std::string& out);
std::string AppendBatchProperties(std::string_view entry_properties, std::string_view batch_properties);
size_t AppendedBatchPropertiesSize(std::string_view entry_properties, std::string_view batch_properties);

}  // namespace mq::model
