// Big-endian (network order) loads and stores over raw bytes. Callers bound-check first; these
// never read or write outside [p, p + sizeof(T)).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace mq {

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Appending writers for building frames and records in a std::string buffer.
inline void AppendBe16(std::string& out, uint16_t v) {
  uint8_t b[2];
  StoreBe16(b, v);
  out.append(reinterpret_cast<const char*>(b), 2);
}
inline void AppendBe32(std::string& out, uint32_t v) {
  uint8_t b[4];
  StoreBe32(b, v);
  out.append(reinterpret_cast<const char*>(b), 4);
}
inline void AppendBe64(std::string& out, uint64_t v) {
  uint8_t b[8];
  StoreBe64(b, v);
  out.append(reinterpret_cast<const char*>(b), 8);
}

}  // namespace mq
