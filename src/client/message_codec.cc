#include "client/message_codec.h"

#include <zlib.h>

#include "base/log.h"
#include "client/protocol.h"
#include "model/message_id.h"
#include "model/message_layout.h"
#include "model/properties.h"

namespace mq::client {
namespace {

bool IsSystemProperty(std::string_view key) {
  return key == model::kKeys || key == model::kTags || key == model::kWait || key == model::kDelay ||
         key == model::kUniqKey || key == model::kRetryTopic || key == model::kReconsumeTime ||
         key == model::kMaxReconsumeTimes || key == model::kMinOffset || key == model::kMaxOffset ||
         key == model::kOriginMessageId || key == model::kRealTopic || key == model::kRealQid ||
         key == model::kTranMsg || key == model::kPgroup || key == model::kMsgRegion ||
         key == model::kTraceSwitch || key == model::kCluster || key == model::kConsumeStartTime;
}

}  // namespace

Result<std::string> CompressBody(std::string_view body, int level) {
  uLongf out_len = compressBound(static_cast<uLong>(body.size()));
  std::string out(out_len, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &out_len, reinterpret_cast<const Bytef*>(body.data()),
                           static_cast<uLong>(body.size()), level);
  if (rc != Z_OK) return Status::SystemError("zlib compress2 failed (" + std::to_string(rc) + ", level " +
                                             std::to_string(level) + ")");
  out.resize(out_len);
  return out;
}

Result<std::string> InflateBody(std::string_view in, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::SystemError("zlib inflateInit failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  bool too_big = false;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const size_t n = sizeof(buf) - zs.avail_out;
    if (out.size() + n > max_bytes) {
      too_big = true;
      break;
    }
    out.append(buf, n);
  }
  const char* why = zs.msg;
  inflateEnd(&zs);
  if (too_big) {
    return Status(ResponseCode::kMessageIllegal,
                  "the compressed body inflates past " + std::to_string(max_bytes) + " bytes");
  }
  if (rc != Z_STREAM_END) {
    std::string reason = rc == Z_BUF_ERROR ? "truncated zlib data" : (why != nullptr ? why : "zlib error");
    return Status(ResponseCode::kMessageIllegal, "the compressed body is corrupt: " + reason + " (" +
                                                     std::to_string(in.size()) + " bytes)");
  }
  return out;
}

std::string BodyForSend(const std::string& body, size_t over_bytes, int level, int32_t* sys_flag) {
  if (over_bytes == 0 || body.size() < over_bytes) return body;
  auto z = CompressBody(body, level);
  // Java sends the deflated bytes even when they are larger; keeping the original then costs nothing
  // (consumers look at the flag) and keeps an incompressible 4 MiB body under the broker's limit.
  if (!z.ok() || z->size() >= body.size()) return body;
  *sys_flag |= model::sysflag::kCompressed;
  return std::move(z).value();
}

std::string EncodeSendProperties(const Message& msg, const std::string& uniq_key) {
  model::MessageProperties props;
  if (!msg.keys.empty()) props.Set(model::kKeys, msg.keys);
  if (!msg.tags.empty()) props.Set(model::kTags, msg.tags);
  if (msg.delay_level > 0) props.Set(model::kDelay, std::to_string(msg.delay_level));
  for (const auto& [k, v] : msg.properties) props.Set(k, v);
  if (!uniq_key.empty()) props.Set(model::kUniqKey, uniq_key);
  props.Set(model::kWait, msg.wait_store_ok ? "true" : "false");
  return props.Encode();
}

Status ValidateTopic(std::string_view topic) {
  if (topic.empty()) return Status(ResponseCode::kMessageIllegal, "the topic is empty");
  if (topic.size() > model::kMaxTopicBytes) {
    return Status(ResponseCode::kMessageIllegal, "the topic is longer than 127 bytes");
  }
  for (char c : topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '%' || c == '|';
    if (!ok) {
      return Status(ResponseCode::kMessageIllegal,
                    "the topic \"" + std::string(topic) + "\" has characters outside [%|a-zA-Z0-9_-]");
    }
  }
  return Status::Ok();
}

Status ValidateMessage(const Message& msg, size_t max_body_bytes) {
  Status st = ValidateTopic(msg.topic);
  if (!st.ok()) return st;
  if (msg.body.empty()) return Status(ResponseCode::kMessageIllegal, "the message body is empty");
  if (msg.body.size() > max_body_bytes) {
    return Status(ResponseCode::kMessageIllegal, "the message body is " + std::to_string(msg.body.size()) +
                                                     " bytes, more than the limit " +
                                                     std::to_string(max_body_bytes));
  }
  if (msg.delay_level < 0) return Status(ResponseCode::kMessageIllegal, "negative delay level");
  return Status::Ok();
}

MessageExt ToMessageExt(const model::RecordView& r, std::string_view broker_name) {
  MessageExt m;
  m.topic = std::string(r.topic());
  m.body = std::string(r.body());
  m.flag = r.flag();
  m.sys_flag = r.sys_flag();
  m.queue.topic = m.topic;
  m.queue.broker_name = std::string(broker_name);
  m.queue.queue_id = r.queue_id();
  m.queue_offset = r.queue_offset();
  m.commit_log_offset = r.physical_offset();
  m.store_timestamp_ms = r.store_timestamp_ms();
  m.born_timestamp_ms = r.born_timestamp_ms();
  m.born_host = r.born_host().ToString();
  m.store_host = r.store_host().ToString();
  m.reconsume_times = r.reconsume_times();
  m.offset_msg_id = model::MakeOffsetMsgId(r.store_host(), r.physical_offset());
  const auto props = model::MessageProperties::Parse(r.properties());
  for (const auto& [k, v] : props.entries()) {
    m.all_properties[k] = v;
    if (k == model::kTags) {
      m.tags = v;
    } else if (k == model::kKeys) {
      m.keys = v;
    } else if (k == model::kDelay) {
      m.delay_level = std::atoi(v.c_str());
    } else if (k == model::kWait) {
      m.wait_store_ok = v != "false";
    } else if (!IsSystemProperty(k)) {
      m.properties[k] = v;
    }
  }
  auto uniq = m.all_properties.find(std::string(model::kUniqKey));
  m.msg_id = uniq != m.all_properties.end() ? uniq->second : m.offset_msg_id;
  return m;
}

Result<std::vector<MessageExt>> DecodeMessages(std::string_view body, std::string_view broker_name,
                                               std::vector<UndecodableMessage>* undecodable) {
  auto views = model::ParseRecordSequence(reinterpret_cast<const uint8_t*>(body.data()), body.size(), false);
  if (!views.ok()) return views.status();
  std::vector<MessageExt> out;
  out.reserve(views->size());
  for (const auto& v : views.value()) {
    MessageExt m = ToMessageExt(v, broker_name);
    if ((m.sys_flag & model::sysflag::kCompressed) != 0) {
      auto inflated = InflateBody(m.body);
      if (!inflated.ok()) {
        // One bad message must not hold back (or, retried, block) the good ones pulled with it.
        Status st(inflated.status().code(), "message " + m.msg_id + " (" + m.queue.ToString() + " offset " +
                                                std::to_string(m.queue_offset) + "): " + inflated.status().remark());
        if (undecodable != nullptr) {
          undecodable->push_back({std::move(m), std::move(st)});
        } else {
          MQ_LOG_WARN("skipped an unreadable message: {}", st.remark());
        }
        continue;
      }
      m.body = std::move(inflated).value();
    }
    out.push_back(std::move(m));
  }
  return out;
}

bool TagMatches(const std::vector<std::string>& tags, const MessageExt& msg) {
  if (tags.empty()) return true;
  for (const auto& t : tags) {
    if (t == msg.tags) return true;
  }
  return false;
}

std::string RetryTopic(const std::string& group) { return std::string(kRetryPrefix) + group; }

void RestoreRetryTopic(MessageExt& msg, const std::string& group) {
  if (msg.topic != RetryTopic(group)) return;
  auto it = msg.all_properties.find(std::string(model::kRetryTopic));
  if (it == msg.all_properties.end() || it->second.empty()) return;
  msg.topic = it->second;
  // msg.queue keeps the retry queue: offsets and send-back refer to where the message was pulled.
}

Outcome ToOutcome(const Status& status) {
  if (status.ok()) return Outcome::Ok();
  return Outcome(ToInt(status.code()), status.remark());
}

Status ToStatus(const Outcome& outcome) {
  if (outcome.ok()) return Status::Ok();
  return Status(static_cast<ResponseCode>(outcome.code()), outcome.remark());
}

}  // namespace mq::client
