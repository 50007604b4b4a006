#include "model/message_id.h"

#include <chrono>
#include <cstring>
#include <ctime>

#include "base/bytes.h"
#include "base/hash.h"
#include "model/properties.h"

namespace mq::model {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string HexUpper(const uint8_t* data, size_t size_bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(size_bytes * 2, '\0');
  for (size_t i = 0; i < size_bytes; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

bool HexDecode(std::string_view hex, uint8_t* out, size_t out_size_bytes) {
  if (hex.size() != out_size_bytes * 2) return false;
  for (size_t i = 0; i < out_size_bytes; ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return true;
}

std::string MakeOffsetMsgId(const HostAddress& store_host, int64_t commit_log_offset) {
  uint8_t raw[28];
  const size_t ip_size = store_host.ip_size_bytes();
  std::memcpy(raw, store_host.ip.data(), ip_size);
  StoreBe32(raw + ip_size, static_cast<uint32_t>(store_host.port));
  StoreBe64(raw + ip_size + 4, static_cast<uint64_t>(commit_log_offset));
  const size_t size = ip_size + 12;
  std::string id = HexUpper(raw, size);
  MQ_ASSERT(id.size() == (store_host.v6 ? 56u : 32u));
  return id;
}

Result<OffsetMsgId> DecodeOffsetMsgId(std::string_view msg_id) {
  if (msg_id.size() != 32 && msg_id.size() != 56) {
    return Status::SystemError("offset msgId must be 32 or 56 hex chars, got " + std::to_string(msg_id.size()));
  }
  uint8_t raw[28];
  const size_t size = msg_id.size() / 2;
  if (!HexDecode(msg_id, raw, size)) return Status::SystemError("offset msgId is not hex: " + std::string(msg_id));
  OffsetMsgId out;
  out.store_host.v6 = size == 28;
  const size_t ip_size = out.store_host.ip_size_bytes();
  MQ_ASSERT(ip_size + 12 == size);
  std::memcpy(out.store_host.ip.data(), raw, ip_size);
  const auto port = static_cast<int32_t>(LoadBe32(raw + ip_size));
  const auto offset = static_cast<int64_t>(LoadBe64(raw + ip_size + 4));
  if (port < 0 || port > 65535) return Status::SystemError("offset msgId has a bad port: " + std::string(msg_id));
  if (offset < 0) return Status::SystemError("offset msgId has a negative offset: " + std::string(msg_id));
  out.store_host.port = port;
  out.commit_log_offset = offset;
  return out;
}

UniqKeyGenerator::UniqKeyGenerator(const HostAddress& client_ip, uint32_t pid, uint32_t random_per_process) {
  uint8_t raw[22];
  const size_t ip_size = client_ip.ip_size_bytes();
  std::memcpy(raw, client_ip.ip.data(), ip_size);
  StoreBe16(raw + ip_size, static_cast<uint16_t>(pid & 0xFFFF));
  StoreBe32(raw + ip_size + 2, random_per_process);
  prefix_hex_ = HexUpper(raw, ip_size + 6);
  MQ_ASSERT(prefix_hex_.size() == (client_ip.v6 ? 44u : 20u));
}

int64_t LocalMonthStartMs(int64_t now_ms) {
  const std::time_t now_s = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  MQ_ASSERT(localtime_r(&now_s, &tm) != nullptr);
  tm.tm_mday = 1;
  tm.tm_hour = 0;
  tm.tm_min = 0;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;  // let mktime decide DST for the first of the month
  const std::time_t start_s = std::mktime(&tm);
  MQ_ASSERT(start_s != static_cast<std::time_t>(-1));
  return static_cast<int64_t>(start_s) * 1000;
}

std::string UniqKeyGenerator::Next() {
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return NextAt(now_ms, LocalMonthStartMs(now_ms));
}

std::string UniqKeyGenerator::NextAt(int64_t now_ms, int64_t month_start_ms) {
  uint8_t raw[6];
  // Java stores the difference as an int; a month of ms fits, wrap-around is harmless for an opaque id.
  StoreBe32(raw, static_cast<uint32_t>(now_ms - month_start_ms));
  StoreBe16(raw + 4, counter_.fetch_add(1, std::memory_order_relaxed));
  std::string id = prefix_hex_ + HexUpper(raw, 6);
  MQ_ASSERT(id.size() == 32 || id.size() == 56);
  return id;
}

int64_t TagsCode(std::string_view tags) {
  if (tags.empty()) return 0;
  return static_cast<int64_t>(JavaStringHash(tags));
}

int64_t TagsCodeOfProperties(std::string_view encoded_properties) {
  const auto tags = FindProperty(encoded_properties, kTags);
  return tags ? TagsCode(*tags) : 0;
}

}  // namespace mq::model
