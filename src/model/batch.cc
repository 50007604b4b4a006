#include "model/batch.h"

#include "base/bytes.h"
#include "model/message_layout.h"
#include "model/properties.h"

namespace mq::model {
namespace {

Status Illegal(std::string remark) { return Status::Error(ResponseCode::kMessageIllegal, std::move(remark)); }

bool NeedsSeparator(std::string_view entry_properties, std::string_view batch_properties) {
  return !entry_properties.empty() && !batch_properties.empty() && entry_properties.back() != kPropertySeparator;
}

}  // namespace

Result<std::vector<BatchEntry>> DecodeBatch(const uint8_t* data, size_t size_bytes, size_t max_entries) {
  if (size_bytes == 0) return Illegal("empty batch body");
  std::vector<BatchEntry> entries;
  size_t pos = 0;
  while (pos < size_bytes) {
    const std::string where = "batch entry " + std::to_string(entries.size()) + ": ";
    if (entries.size() == max_entries) return Illegal("batch has more than " + std::to_string(max_entries) + " entries");
    size_t left = size_bytes - pos;
    if (left < 20) return Illegal(where + "truncated header");
    BatchEntry e;
    e.flag = static_cast<int32_t>(LoadBe32(data + pos + 12));
    const uint32_t body_len = LoadBe32(data + pos + 16);
    pos += 20;
    left -= 20;
    if (body_len > left) return Illegal(where + "BODYLENGTH exceeds the batch");
    e.body = std::string_view(reinterpret_cast<const char*>(data + pos), body_len);
    pos += body_len;
    left -= body_len;
    if (left < 2) return Illegal(where + "truncated at PROPERTIESLENGTH");
    const uint16_t props_len = LoadBe16(data + pos);
    pos += 2;
    left -= 2;
    if (props_len > kMaxPropertiesBytes) return Illegal(where + "PROPERTIESLENGTH out of range");
    if (props_len > left) return Illegal(where + "PROPERTIESLENGTH exceeds the batch");
    e.properties = std::string_view(reinterpret_cast<const char*>(data + pos), props_len);
    pos += props_len;
    entries.push_back(e);
  }
  MQ_ASSERT(pos == size_bytes);
  return entries;
}

size_t BatchEntryEncodedSize(std::string_view body, std::string_view properties) {
  return kBatchEntryFixedBytes + body.size() + properties.size();
}

void EncodeBatchEntry(int32_t flag, std::string_view body, std::string_view properties, std::string& out) {
  MQ_ASSERT(properties.size() <= kMaxPropertiesBytes);
  const size_t total = BatchEntryEncodedSize(body, properties);
  MQ_ASSERT(total <= static_cast<size_t>(INT32_MAX));
  const size_t start = out.size();
  AppendBe32(out, static_cast<uint32_t>(total));
  AppendBe32(out, 0);  // MAGICCODE: ignored by the broker
  AppendBe32(out, 0);  // BODYCRC: the broker computes its own
  AppendBe32(out, static_cast<uint32_t>(flag));
  AppendBe32(out, static_cast<uint32_t>(body.size()));
  out.append(body);
  AppendBe16(out, static_cast<uint16_t>(properties.size()));
  out.append(properties);
  MQ_ASSERT(out.size() - start == total);
}

size_t AppendedBatchPropertiesSize(std::string_view entry_properties, std::string_view batch_properties) {
  return entry_properties.size() + (NeedsSeparator(entry_properties, batch_properties) ? 1 : 0) +
         batch_properties.size();
}

void AppendBatchProperties(std::string_view entry_properties, std::string_view batch_properties, std::string& out) {
  const size_t start = out.size();
  out.append(entry_properties);
  if (NeedsSeparator(entry_properties, batch_properties)) out.push_back(kPropertySeparator);
  out.append(batch_properties);
  MQ_ASSERT(out.size() - start == AppendedBatchPropertiesSize(entry_properties, batch_properties));
}

std::string AppendBatchProperties(std::string_view entry_properties, std::string_view batch_properties) {
  std::string out;
  AppendBatchProperties(entry_properties, batch_properties, out);
  return out;
}

}  // namespace mq::model
