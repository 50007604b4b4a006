#include "model/message_record.h"

#include <cstring>

#include "base/bytes.h"
#include "base/hash.h"

namespace mq::model {
namespace {

Status Illegal(std::string remark) { return Status::Error(ResponseCode::kMessageIllegal, std::move(remark)); }

uint8_t* PutHost(uint8_t* p, const HostAddress& host) {
  std::memcpy(p, host.ip.data(), host.ip_size_bytes());
  p += host.ip_size_bytes();
  StoreBe32(p, static_cast<uint32_t>(host.port));
  return p + 4;
}

}  // namespace

int32_t EffectiveSysFlag(const MessageRecord& r) {
  int32_t flag = r.sys_flag & ~(sysflag::kBornHostV6 | sysflag::kStoreHostV6);
  if (r.born_host.v6) flag |= sysflag::kBornHostV6;
  if (r.store_host.v6) flag |= sysflag::kStoreHostV6;
  return flag;
}

Status CheckRecordLimits(const MessageRecord& r, size_t max_body_bytes) {
  if (r.body.size() > max_body_bytes) {
    return Illegal("message body size " + std::to_string(r.body.size()) + " exceeds limit " +
                   std::to_string(max_body_bytes));
  }
  if (r.topic.size() > kMaxTopicBytes) {
    return Illegal("topic length " + std::to_string(r.topic.size()) + " exceeds " + std::to_string(kMaxTopicBytes));
  }
  if (r.properties.size() > kMaxPropertiesBytes) {
    return Illegal("properties length " + std::to_string(r.properties.size()) + " exceeds " +
                   std::to_string(kMaxPropertiesBytes));
  }
  if (EncodedSize(r) > static_cast<size_t>(INT32_MAX)) return Illegal("record too large");
  return Status::Ok();
}

size_t EncodedSize(const MessageRecord& r) {
  return layout::RecordSize(EffectiveSysFlag(r), r.body.size(), r.topic.size(), r.properties.size());
}

void EncodeRecord(const MessageRecord& r, std::string& out) {
  const size_t size = EncodedSize(r);
  const size_t start = out.size();
  out.resize(start + size);
  EncodeRecordTo(r, reinterpret_cast<uint8_t*>(out.data() + start), size);
}

void EncodeRecordTo(const MessageRecord& r, uint8_t* dst, size_t dst_size_bytes) {
  MQ_ASSERT(r.topic.size() <= kMaxTopicBytes);
  MQ_ASSERT(r.properties.size() <= kMaxPropertiesBytes);
  const int32_t sys_flag = EffectiveSysFlag(r);
  const layout::Layout l = layout::LayoutFor(sys_flag);
  const size_t total = layout::RecordSize(sys_flag, r.body.size(), r.topic.size(), r.properties.size());
  MQ_ASSERT(total <= static_cast<size_t>(INT32_MAX));
  MQ_ASSERT(dst_size_bytes == total);

  StoreBe32(dst + layout::kTotalSizeOffset, static_cast<uint32_t>(total));
  StoreBe32(dst + layout::kMagicOffset, kMessageMagic);
  StoreBe32(dst + layout::kBodyCrcOffset, static_cast<uint32_t>(MaskedCrc32(r.body.data(), r.body.size())));
  StoreBe32(dst + layout::kQueueIdOffset, static_cast<uint32_t>(r.queue_id));
  StoreBe32(dst + layout::kFlagOffset, static_cast<uint32_t>(r.flag));
  StoreBe64(dst + layout::kQueueOffsetOffset, static_cast<uint64_t>(r.queue_offset));
  StoreBe64(dst + layout::kPhysicalOffsetOffset, static_cast<uint64_t>(r.physical_offset));
  StoreBe32(dst + layout::kSysFlagOffset, static_cast<uint32_t>(sys_flag));
  StoreBe64(dst + layout::kBornTimestampOffset, static_cast<uint64_t>(r.born_timestamp_ms));
  uint8_t* p = PutHost(dst + layout::kBornHostOffset, r.born_host);
  MQ_ASSERT(p == dst + l.store_timestamp_offset);
  StoreBe64(p, static_cast<uint64_t>(r.store_timestamp_ms));
  p = PutHost(dst + l.store_host_offset, r.store_host);
  MQ_ASSERT(p == dst + l.reconsume_times_offset);
  StoreBe32(p, static_cast<uint32_t>(r.reconsume_times));
  StoreBe64(dst + l.prepared_tx_offset_offset, static_cast<uint64_t>(r.prepared_transaction_offset));
  p = dst + l.body_length_offset;
  StoreBe32(p, static_cast<uint32_t>(r.body.size()));
  p += 4;
  if (!r.body.empty()) std::memcpy(p, r.body.data(), r.body.size());
  p += r.body.size();
  *p++ = static_cast<uint8_t>(r.topic.size());
  if (!r.topic.empty()) std::memcpy(p, r.topic.data(), r.topic.size());
  p += r.topic.size();
  StoreBe16(p, static_cast<uint16_t>(r.properties.size()));
  p += 2;
  if (!r.properties.empty()) std::memcpy(p, r.properties.data(), r.properties.size());
  p += r.properties.size();
  MQ_ASSERT(p == dst + total);
}

void PatchAppendFields(uint8_t* record, size_t record_size_bytes, int64_t queue_offset, int64_t physical_offset,
                       int64_t store_timestamp_ms) {
  MQ_ASSERT(record_size_bytes >= layout::kMinRecordBytes);
  MQ_ASSERT(LoadBe32(record + layout::kTotalSizeOffset) == record_size_bytes);
  MQ_ASSERT(LoadBe32(record + layout::kMagicOffset) == kMessageMagic);
  const layout::Layout l = layout::LayoutFor(static_cast<int32_t>(LoadBe32(record + layout::kSysFlagOffset)));
  MQ_ASSERT(l.body_length_offset + layout::kLengthFieldsBytes <= record_size_bytes);
  StoreBe64(record + layout::kQueueOffsetOffset, static_cast<uint64_t>(queue_offset));
  StoreBe64(record + layout::kPhysicalOffsetOffset, static_cast<uint64_t>(physical_offset));
  StoreBe64(record + l.store_timestamp_offset, static_cast<uint64_t>(store_timestamp_ms));
}

RecordKind PeekRecordKind(const uint8_t* data, size_t size_bytes) {
  if (size_bytes < kBlankMarkerBytes) return RecordKind::kCorrupt;
  const uint32_t total = LoadBe32(data + layout::kTotalSizeOffset);
  const uint32_t magic = LoadBe32(data + layout::kMagicOffset);
  if (magic == kBlankMagic) return RecordKind::kBlank;
  if (magic == kMessageMagic || magic == kMessageMagicV2) return RecordKind::kMessage;
  if (total == 0) return RecordKind::kEnd;
  return RecordKind::kCorrupt;
}

bool IsBlankMarker(const uint8_t* data, size_t size_bytes) {
  return size_bytes >= kBlankMarkerBytes && LoadBe32(data + layout::kMagicOffset) == kBlankMagic;
}

void EncodeBlankMarker(uint8_t* dst, size_t dst_size_bytes, int32_t remaining_file_bytes) {
  MQ_ASSERT(dst_size_bytes >= kBlankMarkerBytes);
  MQ_ASSERT(remaining_file_bytes >= static_cast<int32_t>(kBlankMarkerBytes));
  StoreBe32(dst + layout::kTotalSizeOffset, static_cast<uint32_t>(remaining_file_bytes));
  StoreBe32(dst + layout::kMagicOffset, kBlankMagic);
  MQ_ASSERT(IsBlankMarker(dst, dst_size_bytes));
}

Result<RecordView> RecordView::Parse(const uint8_t* data, size_t size_bytes, bool check_crc) {
  if (size_bytes < layout::kMinRecordBytes) return Illegal("record truncated: " + std::to_string(size_bytes) + " bytes");
  const uint32_t total = LoadBe32(data + layout::kTotalSizeOffset);
  const uint32_t magic = LoadBe32(data + layout::kMagicOffset);
  if (magic != kMessageMagic && magic != kMessageMagicV2) return Illegal("bad record magic code");
  if (total < layout::kMinRecordBytes || total > size_bytes) {
    return Illegal("record TOTALSIZE " + std::to_string(total) + " outside [91, " + std::to_string(size_bytes) + "]");
  }
  RecordView v;
  v.data_ = data;
  v.size_ = total;
  v.layout_ = layout::LayoutFor(static_cast<int32_t>(LoadBe32(data + layout::kSysFlagOffset)));
  const bool v2 = magic == kMessageMagicV2;
  const size_t topic_len_bytes = v2 ? 2 : 1;
  // Each step checks the field fits in what is left of TOTALSIZE before reading it.
  size_t pos = v.layout_.body_length_offset;
  size_t left = total >= pos ? total - pos : 0;
  if (total < pos || left < 4) return Illegal("record too short for its host layout");
  const uint32_t body_len = LoadBe32(data + pos);
  pos += 4;
  left -= 4;
  if (body_len > left) return Illegal("record BODYLENGTH exceeds TOTALSIZE");
  v.body_ = std::string_view(reinterpret_cast<const char*>(data + pos), body_len);
  pos += body_len;
  left -= body_len;
  if (left < topic_len_bytes) return Illegal("record truncated at TOPICLENGTH");
  const size_t topic_len = v2 ? LoadBe16(data + pos) : data[pos];
  pos += topic_len_bytes;
  left -= topic_len_bytes;
  if (topic_len > (v2 ? kMaxPropertiesBytes : kMaxTopicBytes)) return Illegal("record TOPICLENGTH out of range");
  if (topic_len > left) return Illegal("record TOPICLENGTH exceeds TOTALSIZE");
  v.topic_ = std::string_view(reinterpret_cast<const char*>(data + pos), topic_len);
  pos += topic_len;
  left -= topic_len;
  if (left < 2) return Illegal("record truncated at PROPERTIESLENGTH");
  const size_t props_len = LoadBe16(data + pos);
  pos += 2;
  left -= 2;
  if (props_len > kMaxPropertiesBytes) return Illegal("record PROPERTIESLENGTH out of range");
  if (props_len != left) return Illegal("record PROPERTIESLENGTH disagrees with TOTALSIZE");
  v.properties_ = std::string_view(reinterpret_cast<const char*>(data + pos), props_len);
  pos += props_len;
  MQ_ASSERT(pos == total);
  if (check_crc && MaskedCrc32(v.body_.data(), v.body_.size()) != v.body_crc()) {
    return Illegal("record body CRC mismatch");
  }
  return v;
}

uint32_t RecordView::magic() const { return LoadBe32(data_ + layout::kMagicOffset); }
int32_t RecordView::body_crc() const { return static_cast<int32_t>(LoadBe32(data_ + layout::kBodyCrcOffset)); }
int32_t RecordView::queue_id() const { return static_cast<int32_t>(LoadBe32(data_ + layout::kQueueIdOffset)); }
int32_t RecordView::flag() const { return static_cast<int32_t>(LoadBe32(data_ + layout::kFlagOffset)); }
int64_t RecordView::queue_offset() const {
  return static_cast<int64_t>(LoadBe64(data_ + layout::kQueueOffsetOffset));
}
int64_t RecordView::physical_offset() const {
  return static_cast<int64_t>(LoadBe64(data_ + layout::kPhysicalOffsetOffset));
}
int32_t RecordView::sys_flag() const { return static_cast<int32_t>(LoadBe32(data_ + layout::kSysFlagOffset)); }
int64_t RecordView::born_timestamp_ms() const {
  return static_cast<int64_t>(LoadBe64(data_ + layout::kBornTimestampOffset));
}
HostAddress RecordView::born_host() const {
  return HostAt(layout::kBornHostOffset, layout_.born_host_bytes == layout::kIpv6HostBytes);
}
int64_t RecordView::store_timestamp_ms() const {
  return static_cast<int64_t>(LoadBe64(data_ + layout_.store_timestamp_offset));
}
HostAddress RecordView::store_host() const {
  return HostAt(layout_.store_host_offset, layout_.store_host_bytes == layout::kIpv6HostBytes);
}
int32_t RecordView::reconsume_times() const {
  return static_cast<int32_t>(LoadBe32(data_ + layout_.reconsume_times_offset));
}
int64_t RecordView::prepared_transaction_offset() const {
  return static_cast<int64_t>(LoadBe64(data_ + layout_.prepared_tx_offset_offset));
}

HostAddress RecordView::HostAt(size_t offset, bool v6) const {
  MQ_ASSERT(offset + layout::HostBytes(v6) <= size_);
  HostAddress h;
  h.v6 = v6;
  std::memcpy(h.ip.data(), data_ + offset, h.ip_size_bytes());
  h.port = static_cast<int32_t>(LoadBe32(data_ + offset + h.ip_size_bytes()));
  return h;
}

MessageRecord RecordView::ToRecord() const {
  MQ_ASSERT(data_ != nullptr);
  MessageRecord r;
  r.queue_id = queue_id();
  r.flag = flag();
  r.queue_offset = queue_offset();
  r.physical_offset = physical_offset();
  r.sys_flag = sys_flag();
  r.born_timestamp_ms = born_timestamp_ms();
  r.born_host = born_host();
  r.store_timestamp_ms = store_timestamp_ms();
  r.store_host = store_host();
  r.reconsume_times = reconsume_times();
  r.prepared_transaction_offset = prepared_transaction_offset();
  r.body.assign(body_);
  r.topic.assign(topic_);
  r.properties.assign(properties_);
  MQ_ASSERT(EffectiveSysFlag(r) == r.sys_flag);
  return r;
}

Result<MessageRecord> DecodeRecord(const uint8_t* data, size_t size_bytes, bool check_crc) {
  auto view = RecordView::Parse(data, size_bytes, check_crc);
  if (!view.ok()) return view.status();
  return view->ToRecord();
}

Result<std::vector<RecordView>> ParseRecordSequence(const uint8_t* data, size_t size_bytes, bool check_crc) {
  std::vector<RecordView> views;
  size_t pos = 0;
  while (pos < size_bytes) {
    auto view = RecordView::Parse(data + pos, size_bytes - pos, check_crc);
    if (!view.ok()) {
      return Status::Error(view.status().code(),
                           "record " + std::to_string(views.size()) + " at byte " + std::to_string(pos) + ": " +
                               view.status().remark());
    }
    pos += view->size_bytes();
    views.push_back(*view);
  }
  MQ_ASSERT(pos == size_bytes);
  return views;
}

}  // namespace mq::model
