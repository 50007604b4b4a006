#include "base/hash.h"

#include <zlib.h>

namespace mq {

int32_t MaskedCrc32(const void* data, size_t size_bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (size_bytes > 0) {  // zlib takes uInt lengths
    uInt chunk = size_bytes > (1u << 30) ? (1u << 30) : static_cast<uInt>(size_bytes);
    crc = crc32(crc, p, chunk);
    p += chunk;
    size_bytes -= chunk;
  }
  return static_cast<int32_t>(crc & 0x7FFFFFFFu);
}

int32_t JavaStringHash(std::string_view s) {
  uint32_t h = 0;
  auto mix = [&h](uint32_t unit) { h = 31u * h + unit; };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < n) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if (c >= 0xE0 && c < 0xF0 && i + 2 < n) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<uint8_t>(s[i + 2]) & 0x3Fu);
      len = 3;
    } else if (c >= 0xF0 && c < 0xF8 && i + 3 < n) {
      cp = ((c & 0x07u) << 18) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<uint8_t>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<uint8_t>(s[i + 3]) & 0x3Fu);
      len = 4;
    }
    if (cp >= 0x10000) {  // surrogate pair, as Java stores it
      cp -= 0x10000;
      mix(0xD800u + (cp >> 10));
      mix(0xDC00u + (cp & 0x3FFu));
    } else {
      mix(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

}  // namespace mq
