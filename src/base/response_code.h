// RocketMQ response codes (spec section 4.1): the one definition every layer uses.
// Values are wire-visible: never renumber or reuse one.
#pragma once
#include <cstdint>

namespace mq {

enum class ResponseCode : int32_t {
  kSuccess = 0,
  kSystemError = 1,
  kSystemBusy = 2,
  kRequestCodeNotSupported = 3,
  kTransactionFailed = 4,
  kFlushDiskTimeout = 10,
  kSlaveNotAvailable = 11,
  kFlushSlaveTimeout = 12,
  kMessageIllegal = 13,
  kServiceNotAvailable = 14,
  kVersionNotSupported = 15,
  kNoPermission = 16,
  kTopicNotExist = 17,
  kTopicExistAlready = 18,
  kPullNotFound = 19,
  kPullRetryImmediately = 20,
  kPullOffsetMoved = 21,
  kQueryNotFound = 22,
  kSubscriptionParseFailed = 23,
  kSubscriptionNotExist = 24,
  kSubscriptionNotLatest = 25,
  kSubscriptionGroupNotExist = 26,
  kFilterDataNotExist = 27,
  kFilterDataNotLatest = 28,
  kConsumerNotOnline = 206,
  kConsumeMsgTimeout = 207,
  kNoMessage = 208,
  kFlowControl = 215,
};

constexpr int32_t ToInt(ResponseCode code) { return static_cast<int32_t>(code); }

// Human-readable name ("SYSTEM_ERROR"), "UNKNOWN" for codes not in the table.
const char* ResponseCodeName(int32_t code);

}  // namespace mq
