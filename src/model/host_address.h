// A socket address as the record stores it (BORNHOST / STOREHOSTADDRESS): raw IPv4 (4 bytes) or IPv6
// (16 bytes) address bytes plus an int port. Text form is Java's "ip:port" (no brackets for IPv6), which
// is what clients put in broker addresses and derive from msgIds.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace mq::model {

struct HostAddress {
  std::array<uint8_t, 16> ip{};  // IPv4 uses ip[0..4)
  bool v6 = false;
  int32_t port = 0;

  static HostAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port);
  // "1.2.3.4:10911", "[::1]:10911" or "::1:10911" (last colon splits). IPv4-mapped IPv6 becomes IPv4,
  // because 4.x clients other than Java ignore the V6 sysflag bits (spec 5.3).
  static Result<HostAddress> Parse(std::string_view text);

  size_t ip_size_bytes() const { return v6 ? 16 : 4; }
  std::string IpString() const;
  std::string ToString() const;  // "ip:port"

  bool operator==(const HostAddress&) const = default;
};

}  // namespace mq::model
