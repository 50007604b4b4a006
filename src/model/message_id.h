// Message identifiers (spec 5.4) and tagsCode (5.5).
// offsetMsgId: upper-case hex of store ip (4|16) + port (4) + commit-log offset (8): 32 or 56 chars.
// UNIQ_KEY: upper-case hex of client ip (4|16) + pid low 16 bits (2) + per-process random (4) +
// ms since the start of the current month, local time (4) + counter (2). The broker treats it as opaque.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "model/host_address.h"

namespace mq::model {

std::string MakeOffsetMsgId(const HostAddress& store_host, int64_t commit_log_offset);

struct OffsetMsgId {
  HostAddress store_host;
  int64_t commit_log_offset = 0;
  std::string address() const { return store_host.ToString(); }  // "ip:port"
};
// Accepts 32 (IPv4) or 56 (IPv6) hex digits, either case. Port must be 0..65535, offset >= 0.
Result<OffsetMsgId> DecodeOffsetMsgId(std::string_view msg_id);

// Generates UNIQ_KEY values; thread-safe. The fixed 10-byte prefix is computed once.
class UniqKeyGenerator {
 public:
  UniqKeyGenerator(const HostAddress& client_ip, uint32_t pid, uint32_t random_per_process);
  // Uses the current wall clock.
  std::string Next();
  // Deterministic form for tests: now_ms is epoch ms, month_start_ms the local start of its month.
  std::string NextAt(int64_t now_ms, int64_t month_start_ms);

 private:
  std::string prefix_hex_;
  std::atomic<uint16_t> counter_{0};
};

// Epoch ms of 00:00:00.000 local time on the first day of the month containing now_ms.
int64_t LocalMonthStartMs(int64_t now_ms);

// tagsCode of a message: Java String hash of TAGS sign-extended, 0 when there is no tag.
int64_t TagsCode(std::string_view tags);
// Same, looking TAGS up in an encoded properties string.
int64_t TagsCodeOfProperties(std::string_view encoded_properties);

// Upper-case hex of raw bytes, and its inverse (false on odd length / non-hex).
std::string HexUpper(const uint8_t* data, size_t size_bytes);
bool HexDecode(std::string_view hex, uint8_t* out, size_t out_size_bytes);

}  // namespace mq::model
