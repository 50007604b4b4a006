// Message properties (spec 5.1): "k1\x01v1\x02k2\x01v2", UTF-8. Parsing follows the reference: split on
// \x02, the first \x01 splits key and value, segments with an empty key, an empty value or no \x01 are
// dropped, the last occurrence of a key wins (keeping its first position), a trailing \x02 is tolerated.
// Encoding writes no trailing \x02. Order is insertion order, so encode(parse(x)) is deterministic.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mq::model {

inline constexpr char kNameValueSeparator = '\x01';
inline constexpr char kPropertySeparator = '\x02';

// Well-known property names (spec 5.2).
inline constexpr std::string_view kKeys = "KEYS";
inline constexpr std::string_view kTags = "TAGS";
inline constexpr std::string_view kWait = "WAIT";
inline constexpr std::string_view kDelay = "DELAY";
inline constexpr std::string_view kRetryTopic = "RETRY_TOPIC";
inline constexpr std::string_view kRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kRealQid = "REAL_QID";
inline constexpr std::string_view kTranMsg = "TRAN_MSG";
inline constexpr std::string_view kPgroup = "PGROUP";
inline constexpr std::string_view kMinOffset = "MIN_OFFSET";
inline constexpr std::string_view kMaxOffset = "MAX_OFFSET";
inline constexpr std::string_view kBuyerId = "BUYER_ID";
inline constexpr std::string_view kOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view kTransferFlag = "TRANSFER_FLAG";
inline constexpr std::string_view kCorrectionFlag = "CORRECTION_FLAG";
inline constexpr std::string_view kMq2Flag = "MQ2_FLAG";
inline constexpr std::string_view kReconsumeTime = "RECONSUME_TIME";
inline constexpr std::string_view kMsgRegion = "MSG_REGION";
inline constexpr std::string_view kTraceSwitch = "TRACE_ON";
inline constexpr std::string_view kUniqKey = "UNIQ_KEY";
inline constexpr std::string_view kMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view kConsumeStartTime = "CONSUME_START_TIME";
inline constexpr std::string_view kTranPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET";
inline constexpr std::string_view kTransactionCheckTimes = "TRANSACTION_CHECK_TIMES";
inline constexpr std::string_view kCheckImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr std::string_view kInstanceId = "INSTANCE_ID";
inline constexpr std::string_view kCorrelationId = "CORRELATION_ID";
inline constexpr std::string_view kReplyToClient = "REPLY_TO_CLIENT";
inline constexpr std::string_view kTtl = "TTL";
inline constexpr std::string_view kArriveTime = "ARRIVE_TIME";
inline constexpr std::string_view kPushReplyTime = "PUSH_REPLY_TIME";
inline constexpr std::string_view kMsgType = "MSG_TYPE";
inline constexpr std::string_view kCluster = "CLUSTER";
inline constexpr std::string_view kInnerMultiDispatch = "INNER_MULTI_DISPATCH";
inline constexpr std::string_view kInnerMultiQueueOffset = "INNER_MULTI_QUEUE_OFFSET";

class MessageProperties {
 public:
  using Entry = std::pair<std::string, std::string>;

  static MessageProperties Parse(std::string_view encoded);

  // Encoded form without a trailing \x02; EncodedSize() is its exact length.
  std::string Encode() const;
  void EncodeTo(std::string& out) const;
  size_t EncodedSize() const;

  std::optional<std::string_view> Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).has_value(); }
  // Replaces the value in place if present, else appends. Empty key or value would not survive a
  // round trip, so they are refused (returns false).
  bool Set(std::string_view key, std::string_view value);
  bool Erase(std::string_view key);

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool operator==(const MessageProperties&) const = default;

 private:
  std::vector<Entry> entries_;
};

// Allocation-free lookup in an encoded string with the same rules as Parse (last valid occurrence wins).
std::optional<std::string_view> FindProperty(std::string_view encoded, std::string_view key);

}  // namespace mq::model
