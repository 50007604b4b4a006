#include "base/response_code.h"

namespace mq {

const char* ResponseCodeName(int32_t code) {
  switch (static_cast<ResponseCode>(code)) {
    case ResponseCode::kSuccess: return "SUCCESS";
    case ResponseCode::kSystemError: return "SYSTEM_ERROR";
    case ResponseCode::kSystemBusy: return "SYSTEM_BUSY";
    case ResponseCode::kRequestCodeNotSupported: return "REQUEST_CODE_NOT_SUPPORTED";
    case ResponseCode::kTransactionFailed: return "TRANSACTION_FAILED";
    case ResponseCode::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case ResponseCode::kSlaveNotAvailable: return "SLAVE_NOT_AVAILABLE";
    case ResponseCode::kFlushSlaveTimeout: return "FLUSH_SLAVE_TIMEOUT";
    case ResponseCode::kMessageIllegal: return "MESSAGE_ILLEGAL";
    case ResponseCode::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
    case ResponseCode::kVersionNotSupported: return "VERSION_NOT_SUPPORTED";
    case ResponseCode::kNoPermission: return "NO_PERMISSION";
    case ResponseCode::kTopicNotExist: return "TOPIC_NOT_EXIST";
    case ResponseCode::kTopicExistAlready: return "TOPIC_EXIST_ALREADY";
    case ResponseCode::kPullNotFound: return "PULL_NOT_FOUND";
    case ResponseCode::kPullRetryImmediately: return "PULL_RETRY_IMMEDIATELY";
    case ResponseCode::kPullOffsetMoved: return "PULL_OFFSET_MOVED";
    case ResponseCode::kQueryNotFound: return "QUERY_NOT_FOUND";
    case ResponseCode::kSubscriptionParseFailed: return "SUBSCRIPTION_PARSE_FAILED";
    case ResponseCode::kSubscriptionNotExist: return "SUBSCRIPTION_NOT_EXIST";
    case ResponseCode::kSubscriptionNotLatest: return "SUBSCRIPTION_NOT_LATEST";
    case ResponseCode::kSubscriptionGroupNotExist: return "SUBSCRIPTION_GROUP_NOT_EXIST";
    case ResponseCode::kFilterDataNotExist: return "FILTER_DATA_NOT_EXIST";
    case ResponseCode::kFilterDataNotLatest: return "FILTER_DATA_NOT_LATEST";
    case ResponseCode::kConsumerNotOnline: return "CONSUMER_NOT_ONLINE";
    case ResponseCode::kConsumeMsgTimeout: return "CONSUME_MSG_TIMEOUT";
    case ResponseCode::kNoMessage: return "NO_MESSAGE";
    case ResponseCode::kFlowControl: return "FLOW_CONTROL";
  }
  return "UNKNOWN";
}

}  // namespace mq
