#include "model/host_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace mq::model {

HostAddress HostAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port) {
  HostAddress h;
  h.ip[0] = a;
  h.ip[1] = b;
  h.ip[2] = c;
  h.ip[3] = d;
  h.port = port;
  return h;
}

Result<HostAddress> HostAddress::Parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::SystemError("address without ip:port: " + std::string(text));
  }
  std::string_view ip_text = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (ip_text.size() >= 2 && ip_text.front() == '[' && ip_text.back() == ']') {
    ip_text = ip_text.substr(1, ip_text.size() - 2);
  }
  int32_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status::SystemError("bad port in address: " + std::string(text));
  }
  const std::string ip_str(ip_text);  // inet_pton wants a terminated string
  HostAddress h;
  h.port = port;
  if (inet_pton(AF_INET, ip_str.c_str(), h.ip.data()) == 1) return h;
  uint8_t v6[16];
  if (inet_pton(AF_INET6, ip_str.c_str(), v6) != 1) {
    return Status::SystemError("bad ip in address: " + std::string(text));
  }
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(v6, kMappedPrefix, 12) == 0) {
    std::memcpy(h.ip.data(), v6 + 12, 4);
    return h;
  }
  std::memcpy(h.ip.data(), v6, 16);
  h.v6 = true;
  return h;
}

std::string HostAddress::IpString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const char* s = inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof(buf));
  MQ_ASSERT(s != nullptr);  // any 4 or 16 bytes are printable
  return buf;
}

std::string HostAddress::ToString() const { return IpString() + ":" + std::to_string(port); }

}  // namespace mq::model
