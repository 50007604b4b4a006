// Small out-of-line members of the public value types.
#include <string>

#include "base/hash.h"
#include "base/response_code.h"
#include "mq/message.h"
#include "mq/producer.h"
#include "mq/result.h"

namespace mq {

std::string Outcome::ToString() const {
  if (ok()) return "OK";
  return std::string(ResponseCodeName(code_)) + "(" + std::to_string(code_) + "): " + remark_;
}

std::string MessageQueue::ToString() const {
  return topic + "@" + broker_name + "#" + std::to_string(queue_id);
}

std::string MessageExt::Property(const std::string& name) const {
  auto it = all_properties.find(name);
  return it == all_properties.end() ? std::string() : it->second;
}

const char* SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::kSendOk: return "SEND_OK";
    case SendStatus::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case SendStatus::kFlushSlaveTimeout: return "FLUSH_SLAVE_TIMEOUT";
    case SendStatus::kSlaveNotAvailable: return "SLAVE_NOT_AVAILABLE";
  }
  return "UNKNOWN";
}

size_t SelectByHash(const std::vector<MessageQueue>& queues, const Message&, const std::string& arg) {
  if (queues.empty()) return 0;
  const int64_t h = JavaStringHash(arg);
  return static_cast<size_t>((h < 0 ? -h : h) % static_cast<int64_t>(queues.size()));
}

}  // namespace mq
