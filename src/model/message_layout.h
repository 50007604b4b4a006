// The stored message record of spec 5.6 (commit-log record = pull body element = VIEW/QUERY body) as
// named offsets and sizes. Everything here is wire- and disk-visible: a change breaks real clients and
// existing stores. Fixed fields up to BORNHOST sit at fixed offsets; from BORNHOST on, offsets depend on
// the host families, selected by sysflag bits 0x10 (born host IPv6) and 0x20 (store host IPv6).
#pragma once
#include <cstddef>
#include <cstdint>

namespace mq::model {

// MAGICCODE values. mq writes only kMessageMagic; kMessageMagicV2 (5.x, 2-byte topic length) is accepted
// on read so a 5.x store can be opened.
inline constexpr uint32_t kMessageMagic = 0xDAA320A7u;    // int -626843481
inline constexpr uint32_t kBlankMagic = 0xCBD43194u;      // int -875286124, end-of-file marker
inline constexpr uint32_t kMessageMagicV2 = 0xDAA320ABu;  // int -626843477
static_assert(static_cast<int32_t>(kMessageMagic) == -626843481);
static_assert(static_cast<int32_t>(kBlankMagic) == -875286124);
static_assert(static_cast<int32_t>(kMessageMagicV2) == -626843477);

// Limits of the format itself (the body limit maxMessageSize is configuration, passed by callers).
inline constexpr size_t kMaxTopicBytes = 127;            // TOPICLENGTH is one (signed, for Java) byte
inline constexpr size_t kMaxPropertiesBytes = 32767;     // PROPERTIESLENGTH is a signed short
inline constexpr size_t kDefaultMaxMessageBytes = 4194304;
inline constexpr size_t kBlankMarkerBytes = 8;           // TOTALSIZE + MAGICCODE

// sysFlag bits (spec 5.3).
namespace sysflag {
inline constexpr int32_t kCompressed = 0x1;
inline constexpr int32_t kMultiTags = 0x2;
inline constexpr int32_t kTransactionMask = 0xC;
inline constexpr int32_t kTransactionNot = 0x0;
inline constexpr int32_t kTransactionPrepared = 0x4;
inline constexpr int32_t kTransactionCommit = 0x8;
inline constexpr int32_t kTransactionRollback = 0xC;
inline constexpr int32_t kBornHostV6 = 0x10;
inline constexpr int32_t kStoreHostV6 = 0x20;
inline constexpr int32_t kNeedUnwrap = 0x40;
inline constexpr int32_t kInnerBatch = 0x80;
inline constexpr int32_t kCompressionTypeMask = 0x700;  // 1 LZ4, 2 ZSTD, 3 ZLIB; 0 legacy = ZLIB
inline constexpr int32_t kCompressionLz4 = 0x100;
inline constexpr int32_t kCompressionZstd = 0x200;
inline constexpr int32_t kCompressionZlib = 0x300;
}  // namespace sysflag

enum class TransactionType : int32_t {
  kNot = sysflag::kTransactionNot,
  kPrepared = sysflag::kTransactionPrepared,
  kCommit = sysflag::kTransactionCommit,
  kRollback = sysflag::kTransactionRollback,
};

constexpr TransactionType GetTransactionType(int32_t sys_flag) {
  return static_cast<TransactionType>(sys_flag & sysflag::kTransactionMask);
}
constexpr int32_t WithTransactionType(int32_t sys_flag, TransactionType type) {
  return (sys_flag & ~sysflag::kTransactionMask) | static_cast<int32_t>(type);
}
// Only NOT_TYPE and COMMIT_TYPE records advance the queue offset and get a consume-queue entry (5.7).
constexpr bool TakesQueueOffset(int32_t sys_flag) {
  const TransactionType t = GetTransactionType(sys_flag);
  return t == TransactionType::kNot || t == TransactionType::kCommit;
}
static_assert(GetTransactionType(0x301 | 0x8) == TransactionType::kCommit);
static_assert(WithTransactionType(0xF, TransactionType::kNot) == 0x3);
static_assert(TakesQueueOffset(0) && !TakesQueueOffset(0x4) && !TakesQueueOffset(0xC));

// Field offsets that never move (before BORNHOST).
namespace layout {
inline constexpr size_t kTotalSizeOffset = 0;
inline constexpr size_t kMagicOffset = 4;
inline constexpr size_t kBodyCrcOffset = 8;
inline constexpr size_t kQueueIdOffset = 12;
inline constexpr size_t kFlagOffset = 16;
inline constexpr size_t kQueueOffsetOffset = 20;
inline constexpr size_t kPhysicalOffsetOffset = 28;
inline constexpr size_t kSysFlagOffset = 36;
inline constexpr size_t kBornTimestampOffset = 40;
inline constexpr size_t kBornHostOffset = 48;

inline constexpr size_t kIpv4HostBytes = 8;   // 4-byte address + 4-byte port
inline constexpr size_t kIpv6HostBytes = 20;  // 16-byte address + 4-byte port
constexpr size_t HostBytes(bool v6) { return v6 ? kIpv6HostBytes : kIpv4HostBytes; }

// Offsets of the fields after BORNHOST for one combination of host families.
struct Layout {
  size_t born_host_bytes;
  size_t store_timestamp_offset;
  size_t store_host_offset;
  size_t store_host_bytes;
  size_t reconsume_times_offset;
  size_t prepared_tx_offset_offset;
  size_t body_length_offset;  // = size of the fixed part
};

constexpr Layout LayoutFor(int32_t sys_flag) {
  const size_t born = HostBytes((sys_flag & sysflag::kBornHostV6) != 0);
  const size_t store = HostBytes((sys_flag & sysflag::kStoreHostV6) != 0);
  Layout l{};
  l.born_host_bytes = born;
  l.store_timestamp_offset = kBornHostOffset + born;
  l.store_host_offset = l.store_timestamp_offset + 8;
  l.store_host_bytes = store;
  l.reconsume_times_offset = l.store_host_offset + store;
  l.prepared_tx_offset_offset = l.reconsume_times_offset + 4;
  l.body_length_offset = l.prepared_tx_offset_offset + 8;
  return l;
}

// Variable tail: BODYLENGTH(4) + TOPICLENGTH(1, V2: 2) + PROPERTIESLENGTH(2), not counting the bytes.
inline constexpr size_t kLengthFieldsBytes = 4 + 1 + 2;
inline constexpr size_t kLengthFieldsBytesV2 = 4 + 2 + 2;

constexpr size_t RecordSize(int32_t sys_flag, size_t body_bytes, size_t topic_bytes, size_t properties_bytes) {
  return LayoutFor(sys_flag).body_length_offset + kLengthFieldsBytes + body_bytes + topic_bytes + properties_bytes;
}

// The numbers spec 5.6 states for IPv4 hosts.
static_assert(LayoutFor(0).store_timestamp_offset == 56);
static_assert(LayoutFor(0).store_host_offset == 64);
static_assert(LayoutFor(0).reconsume_times_offset == 72);
static_assert(LayoutFor(0).prepared_tx_offset_offset == 76);
static_assert(LayoutFor(0).body_length_offset == 84);
static_assert(RecordSize(0, 0, 0, 0) == 91);
// IPv6 variants: each V6 host adds 12 bytes.
static_assert(LayoutFor(sysflag::kBornHostV6).store_timestamp_offset == 68);
static_assert(LayoutFor(sysflag::kStoreHostV6).store_timestamp_offset == 56);
static_assert(LayoutFor(sysflag::kStoreHostV6).reconsume_times_offset == 84);
static_assert(LayoutFor(sysflag::kBornHostV6 | sysflag::kStoreHostV6).body_length_offset == 108);
static_assert(RecordSize(sysflag::kBornHostV6 | sysflag::kStoreHostV6, 0, 0, 0) == 115);

inline constexpr size_t kMinRecordBytes = RecordSize(0, 0, 0, 0);
}  // namespace layout

}  // namespace mq::model
