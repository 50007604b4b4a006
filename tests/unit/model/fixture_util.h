// Helpers for model tests: fixture paths, whole-file reads, RocketMQ frame splitting, JSON loading, SHA-1.
#pragma once
#include <rapidjson/document.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace mq::model::test {

inline std::string FixturePath(const std::string& rel) {
  const char* root = std::getenv("MQ_FIXTURES");
  return std::string(root != nullptr ? root : "/work/shared/fixtures") + "/" + rel;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// One .bin frame: 4-byte length, 4-byte word (low 24 bits = header length), header, body.
struct Frame {
  std::string_view header;
  std::string_view body;
  bool ok = false;
};
inline Frame SplitFrame(std::string_view bin) {
  Frame f;
  if (bin.size() < 8) return f;
  const uint32_t total = LoadBe32(Bytes(bin));
  const uint32_t header_len = LoadBe32(Bytes(bin) + 4) & 0xFFFFFF;
  if (total + 4 != bin.size() || header_len + 4 > total) return f;
  f.header = bin.substr(8, header_len);
  f.body = bin.substr(8 + header_len);
  f.ok = true;
  return f;
}

inline bool LoadJson(const std::string& path, rapidjson::Document& doc) {
  const std::string text = ReadFile(path);
  doc.Parse(text.c_str(), text.size());
  return !doc.HasParseError();
}

// zlib-inflates a compressed message body (sysflag bit 0) whose inflated size is known.
inline bool Inflate(std::string_view in, size_t inflated_size, std::string& out) {
  out.assign(inflated_size, '\0');
  uLongf out_len = static_cast<uLongf>(inflated_size);
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len, reinterpret_cast<const Bytef*>(in.data()),
                            static_cast<uLong>(in.size()));
  return rc == Z_OK && out_len == inflated_size;
}

inline std::string Sha1Hex(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  const uint64_t bit_len = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back('\x80');
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>(bit_len >> (i * 8)));
  auto rol = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) w[i] = LoadBe32(Bytes(msg) + off + 4 * i);
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
      else { f = b ^ c ^ d; k = 0xCA62C1D6; }
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint32_t v : h) {
    for (int i = 28; i >= 0; i -= 4) out.push_back(kHex[(v >> i) & 0xF]);
  }
  return out;
}

}  // namespace mq::model::test
