// Between the public message types and the wire: properties for a send (spec 5.1/5.2), pull and
// query bodies -> MessageExt (spec 5.6, compressed bodies inflated), client-side tag filtering
// (the broker filters only by tag hash), restoring the original topic of retried messages, and
// Status <-> Outcome. Pure functions.
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

MessageExt ToMessageExt(const model::RecordView& record, std::string_view broker_name);
// Decodes a PULL / QUERY / VIEW body. broker_name fills MessageExt::queue.broker_name.
Result<std::vector<MessageExt>> DecodeMessages(std::string_view body, std::string_view broker_name);

// Empty tag list = match all.
bool TagMatches(const std::vector<std::string>& tags, const MessageExt& msg);

// Messages pulled from %RETRY%<group> carry RETRY_TOPIC: put the original topic back.
void RestoreRetryTopic(MessageExt& msg, const std::string& group);
std::string RetryTopic(const std::string& group);

Outcome ToOutcome(const Status& status);
Status ToStatus(const Outcome& outcome);

}  // namespace mq::client
