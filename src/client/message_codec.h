// Between the public message types and the wire: properties for a send (spec 5.1/5.2), body
// compression for a send (Java's tryToCompressMessage), pull and query bodies -> MessageExt (spec 5.6,
// compressed bodies inflated, bounded), client-side tag filtering (the broker filters only by tag
// hash), restoring the original topic of retried messages, and Status <-> Outcome. Pure functions.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/message_record.h"
#include "mq/message.h"
#include "mq/result.h"

namespace mq::client {

// The properties string for `msg` with its UNIQ_KEY (system ones first, then user ones).
std::string EncodeSendProperties(const Message& msg, const std::string& uniq_key);
// Topic chars [%|a-zA-Z0-9_-], <= 127 bytes; body non-empty and <= max_body_bytes.
Status ValidateMessage(const Message& msg, size_t max_body_bytes);
Status ValidateTopic(std::string_view topic);

// A COMPRESSED body never inflates past this: 4x the 4 MiB message limit (a Java producer checks the
// limit on the uncompressed body, so a real message stays far below it).
inline constexpr size_t kMaxInflatedBodyBytes = 16u << 20;

// zlib stream (what Java's Deflater/DeflaterOutputStream writes) at `level` (-1..9).
Result<std::string> CompressBody(std::string_view body, int level);
// Inflates a zlib stream; fails on corrupt or truncated data or past max_bytes (nothing larger is
// ever allocated).
Result<std::string> InflateBody(std::string_view compressed, size_t max_bytes = kMaxInflatedBodyBytes);
// The body a single-message send carries: like Java, a body of at least over_bytes bytes (0: never)
// is compressed and COMPRESSED is set in *sys_flag; kept as is when compression would not shrink it.
std::string BodyForSend(const std::string& body, size_t over_bytes, int level, int32_t* sys_flag);

MessageExt ToMessageExt(const model::RecordView& record, std::string_view broker_name);
// A record that parsed but whose COMPRESSED body cannot be inflated: left out of DecodeMessages'
// result (the others are kept), with its body as stored.
struct UndecodableMessage {
  MessageExt message;
  Status status;
};
// Decodes a PULL / QUERY / VIEW body. broker_name fills MessageExt::queue.broker_name. A message
// whose compressed body does not inflate is reported in *undecodable, or logged when that is null;
// only a malformed record sequence fails the whole call.
Result<std::vector<MessageExt>> DecodeMessages(std::string_view body, std::string_view broker_name,
                                               std::vector<UndecodableMessage>* undecodable = nullptr);

// Empty tag list = match all.
bool TagMatches(const std::vector<std::string>& tags, const MessageExt& msg);

// Messages pulled from %RETRY%<group> carry RETRY_TOPIC: put the original topic back.
void RestoreRetryTopic(MessageExt& msg, const std::string& group);
std::string RetryTopic(const std::string& group);

Outcome ToOutcome(const Status& status);
Status ToStatus(const Outcome& outcome);

}  // namespace mq::client
