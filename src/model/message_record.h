// MessageRecord: one stored message (spec 5.6) and its codec. Encoding always writes magic V1 and
// computes TOTALSIZE and the masked body CRC; the V6 sysflag bits are derived from the host families so a
// record can never claim a layout it does not have. Decoding bounds every length by the bytes given and
// by TOTALSIZE: truncated or garbage input is an error (MESSAGE_ILLEGAL), never an over-read.
// RecordView reads the same fields in place without copying (pull bodies, dispatch, recovery).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/host_address.h"
#include "model/message_layout.h"

namespace mq::model {

struct MessageRecord {
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;  // V6 host bits are overwritten from born_host / store_host on encode
  int64_t born_timestamp_ms = 0;
  HostAddress born_host;
  int64_t store_timestamp_ms = 0;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::string body;
  std::string topic;
  std::string properties;  // encoded (5.1)

  bool operator==(const MessageRecord&) const = default;
};

// sys_flag with the V6 bits set exactly as the hosts require.
int32_t EffectiveSysFlag(const MessageRecord& record);

// Format limits plus the caller's body limit (maxMessageSize); MESSAGE_ILLEGAL with a remark on failure.
// The encoders assert these, so callers holding untrusted input check first.
Status CheckRecordLimits(const MessageRecord& record, size_t max_body_bytes);

// TOTALSIZE of the encoded record.
size_t EncodedSize(const MessageRecord& record);
// Appends the record to `out`.
void EncodeRecord(const MessageRecord& record, std::string& out);
// Writes the record into dst, which must be exactly EncodedSize(record) bytes.
void EncodeRecordTo(const MessageRecord& record, uint8_t* dst, size_t dst_size_bytes);

// Fills the fields only known under the commit-log append lock into an already encoded record.
void PatchAppendFields(uint8_t* record, size_t record_size_bytes, int64_t queue_offset, int64_t physical_offset,
                       int64_t store_timestamp_ms);

// What the bytes at a commit-log position are.
enum class RecordKind {
  kMessage,    // TOTALSIZE + a message magic (not yet validated further)
  kBlank,      // end-of-file marker: skip to the next file
  kEnd,        // TOTALSIZE == 0: pre-allocated zeros, end of written data
  kCorrupt,    // anything else, including fewer than 8 bytes
};
RecordKind PeekRecordKind(const uint8_t* data, size_t size_bytes);
bool IsBlankMarker(const uint8_t* data, size_t size_bytes);
// Writes the 8-byte blank marker; TOTALSIZE = bytes left in the file (maxBlank).
void EncodeBlankMarker(uint8_t* dst, size_t dst_size_bytes, int32_t remaining_file_bytes);

class RecordView {
 public:
  RecordView() = default;
  // Validates the record starting at data (size_bytes = bytes available, >= TOTALSIZE). Every length
  // field must agree with TOTALSIZE exactly. check_crc recomputes the body CRC.
  static Result<RecordView> Parse(const uint8_t* data, size_t size_bytes, bool check_crc);

  const uint8_t* data() const { return data_; }
  size_t size_bytes() const { return size_; }
  uint32_t magic() const;
  bool is_v2() const { return magic() == kMessageMagicV2; }
  int32_t body_crc() const;
  int32_t queue_id() const;
  int32_t flag() const;
  int64_t queue_offset() const;
  int64_t physical_offset() const;
  int32_t sys_flag() const;
  int64_t born_timestamp_ms() const;
  HostAddress born_host() const;
  int64_t store_timestamp_ms() const;
  HostAddress store_host() const;
  int32_t reconsume_times() const;
  int64_t prepared_transaction_offset() const;
  std::string_view body() const { return body_; }
  std::string_view topic() const { return topic_; }
  std::string_view properties() const { return properties_; }

  MessageRecord ToRecord() const;

 private:
  HostAddress HostAt(size_t offset, bool v6) const;

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  layout::Layout layout_{};
  std::string_view body_;
  std::string_view topic_;
  std::string_view properties_;
};

// Copying decode of the record at data; see RecordView::Parse for the rules.
Result<MessageRecord> DecodeRecord(const uint8_t* data, size_t size_bytes, bool check_crc);

// Splits a buffer of back-to-back records (a pull / QUERY / VIEW body). The whole buffer must be consumed
// by valid records; any garbage or a truncated tail is an error. Blank markers are not allowed here.
Result<std::vector<RecordView>> ParseRecordSequence(const uint8_t* data, size_t size_bytes, bool check_crc);

}  // namespace mq::model
