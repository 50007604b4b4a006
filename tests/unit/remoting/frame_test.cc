// Frame-level behaviour: round-trip properties over random commands in both encodings, and
// malformed streams (every one an error, never a crash, and the decoder stays poisoned).
#include <doctest/doctest.h>

#include <random>

#include "base/bytes.h"
#include "remoting/frame.h"
#include "test_util.h"

using namespace mq;
using namespace mq::remoting;
using namespace mq::remoting::test;

namespace {

std::string RandomString(std::mt19937& rng, size_t max_len) {
  static const std::string kAlphabet = std::string("abcXYZ019 _-:;{}[]\"\\/\x01\x02\x1f\t\n\x7f", 32) +
                                       "\xC3\xA9\xE6\xB6\x88\xF0\x9F\x98\x80";
  std::string s(std::uniform_int_distribution<size_t>(0, max_len)(rng), '\0');
  for (char& c : s) c = kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)];
  if (!s.empty() && rng() % 8 == 0) s[0] = '\0';  // NUL survives both encodings
  return s;
}

Command RandomCommand(std::mt19937& rng, SerializeType type) {
  Command c;
  c.serialize_type = type;
  auto i32 = [&] { return static_cast<int32_t>(rng()); };
  const bool binary = type == SerializeType::kRocketmq;
  c.code = binary ? static_cast<int16_t>(rng()) : i32();
  c.version = binary ? static_cast<int16_t>(rng()) : i32();
  c.opaque = i32();
  c.flag = i32();
  c.language = binary ? LanguageName(static_cast<uint8_t>(rng() % 14)) : RandomString(rng, 8);
  if (rng() % 2) {
    c.remark = RandomString(rng, 40);
    if (binary && c.remark->empty()) c.remark.reset();  // binary: empty remark is null
  }
  const size_t fields = rng() % 12;
  for (size_t i = 0; i < fields; ++i) c.ext_fields.Set(RandomString(rng, 6), RandomString(rng, 60));
  c.ext_fields_member = binary || !c.ext_fields.empty() || rng() % 2;
  c.serialize_type_member = binary || rng() % 2;
  c.body = RandomString(rng, 100);
  return c;
}

std::string RawFrame(uint32_t length, uint32_t word, std::string_view rest) {
  std::string out;
  AppendBe32(out, length);
  AppendBe32(out, word);
  out.append(rest);
  return out;
}

// Feeds `bytes` in one go and byte by byte; both must fail, and keep failing afterwards.
void ExpectStreamError(const std::string& bytes, const FrameLimits& limits = {}) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  FrameDecoder whole(limits);
  std::vector<Command> out;
  CHECK(!whole.Feed(p, bytes.size(), out).ok());
  CHECK(!whole.Feed(p, 0, out).ok());  // poisoned
  FrameDecoder bytewise(limits);
  bool failed = false;
  for (size_t i = 0; i < bytes.size() && !failed; ++i) failed = !bytewise.Feed(p + i, 1, out).ok();
  CHECK(failed);
  CHECK(out.empty());
}

}  // namespace

TEST_CASE("round trip: random commands in both encodings, streamed in random splits") {
  std::mt19937 rng(20240601);
  for (auto type : {SerializeType::kJson, SerializeType::kRocketmq}) {
    std::string stream;
    std::vector<Command> sent;
    for (int i = 0; i < 300; ++i) {
      sent.push_back(RandomCommand(rng, type));
      const std::string frame = EncodeFrame(sent.back());
      Command back;
      Status s = DecodeFrame(frame, FrameLimits{}, back);
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      CHECK(DiffCommands(sent.back(), back) == "");
      CHECK(EncodeFrame(back) == frame);
      stream += frame;
    }
    FrameDecoder decoder;
    std::vector<Command> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      size_t n = std::min<size_t>(stream.size() - pos, rng() % 700);
      REQUIRE(decoder.Feed(reinterpret_cast<const uint8_t*>(stream.data()) + pos, n, got).ok());
      pos += n;
    }
    REQUIRE(got.size() == sent.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(DiffCommands(got[i], sent[i]) == "");
  }
}

TEST_CASE("EncodeFramePrefix + body equals EncodeFrame") {
  Command c = Command::Request(310);
  c.ext_fields.Set("a", "g");
  c.body = "payload bytes";
  std::string prefix;
  EncodeFramePrefix(c, c.body.size(), prefix);
  CHECK(prefix + c.body == EncodeFrame(c));
  c.serialize_type = SerializeType::kRocketmq;
  prefix.clear();
  EncodeFramePrefix(c, c.body.size(), prefix);
  CHECK(prefix + c.body == EncodeFrame(c));
  CHECK((LoadBe32(reinterpret_cast<const uint8_t*>(prefix.data()) + 4) >> 24) == 1u);
}

TEST_CASE("oversized and inconsistent lengths are stream errors") {
  FrameLimits limits;
  // Over the limit: rejected as soon as the length field is complete, before any body arrives.
  const std::string huge = RawFrame(limits.max_frame_bytes - 3, 0, "");
  ExpectStreamError(huge.substr(0, 4), limits);
  ExpectStreamError(RawFrame(0x7FFFFFFF, 0, ""));
  ExpectStreamError(RawFrame(0xFFFFFFFF, 0, ""));
  ExpectStreamError(RawFrame(3, 0, "x"));                       // length < 4
  ExpectStreamError(RawFrame(4 + 5, 0x00000006, "{}{}{"));      // header longer than frame
  ExpectStreamError(RawFrame(4 + 2, 0x02000002, "{}"));         // unknown serialize type
  ExpectStreamError(RawFrame(4 + 2, 0x00000002, "{x"));         // bad JSON
  ExpectStreamError(RawFrame(4 + 3, 0x01000003, std::string("\x00\x01\x00", 3)));  // truncated binary
  FrameLimits small;
  small.max_header_bytes = 4;
  ExpectStreamError(RawFrame(4 + 10, 0x0000000A, "{\"code\":1}"), small);
  // Exactly at the limit is fine.
  FrameLimits exact;
  Command c = Command::Request(1);
  const std::string frame = EncodeFrame(c);
  exact.max_frame_bytes = static_cast<uint32_t>(frame.size());
  Command out;
  CHECK(DecodeFrame(frame, exact, out).ok());
  exact.max_frame_bytes -= 1;
  CHECK(!DecodeFrame(frame, exact, out).ok());
  CHECK(!DecodeFrame(frame + "x", FrameLimits{}, out).ok());
  CHECK(!DecodeFrame(frame.substr(0, 7), FrameLimits{}, out).ok());
}

TEST_CASE("good frames before a bad one are delivered, then the decoder is poisoned") {
  const std::string good = EncodeFrame(Command::Request(34));
  const std::string stream = good + good + RawFrame(4 + 2, 0x00000002, "{x") + good;
  FrameDecoder decoder;
  std::vector<Command> out;
  CHECK(!decoder.Feed(reinterpret_cast<const uint8_t*>(stream.data()), stream.size(), out).ok());
  CHECK(out.size() == 2);
  CHECK(!decoder.Feed(reinterpret_cast<const uint8_t*>(good.data()), good.size(), out).ok());
  CHECK(out.size() == 2);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("truncated or corrupt binary headers are errors at every cut") {
  Command c = Command::Request(310);
  c.serialize_type = SerializeType::kRocketmq;
  c.remark = "remark";
  c.ext_fields.Set("a", "1");
  c.ext_fields.Set("topic", "TopicTest");
  std::string h;
  EncodeHeader(c, h);
  Command out;
  REQUIRE(DecodeCommand(SerializeType::kRocketmq, h, "", FrameLimits{}, out).ok());
  for (size_t cut = 0; cut < h.size(); ++cut) {
    CAPTURE(cut);
    CHECK(!DecodeCommand(SerializeType::kRocketmq, std::string_view(h).substr(0, cut), "", FrameLimits{}, out).ok());
  }
  CHECK(!DecodeCommand(SerializeType::kRocketmq, h + "x", "", FrameLimits{}, out).ok());  // trailing byte
  auto corrupt = [&](size_t offset, uint32_t value, size_t width) {
    std::string bad = h;
    auto* p = reinterpret_cast<uint8_t*>(bad.data()) + offset;
    if (width == 2) StoreBe16(p, static_cast<uint16_t>(value)); else StoreBe32(p, value);
    return DecodeCommand(SerializeType::kRocketmq, bad, "", FrameLimits{}, out);
  };
  const size_t remark_len_at = 13;
  const size_t ext_len_at = 17 + 6;
  CHECK(!corrupt(remark_len_at, 0xFFFFFFFF, 4).ok());     // negative remark length
  CHECK(!corrupt(remark_len_at, 0x7FFFFFFF, 4).ok());     // beyond the header
  CHECK(!corrupt(ext_len_at, 0x80000000, 4).ok());
  CHECK(!corrupt(ext_len_at, 5, 4).ok());                 // block ends mid entry
  CHECK(!corrupt(ext_len_at + 4, 0x8000, 2).ok());        // negative key length
  CHECK(!corrupt(ext_len_at + 4, 0x0100, 2).ok());        // key beyond the block
  CHECK(!corrupt(ext_len_at + 4 + 2 + 1, 0xFFFFFFFF, 4).ok());  // negative value length
  CHECK(!corrupt(ext_len_at + 4 + 2 + 1, 0x100, 4).ok());       // value beyond the block
}

TEST_CASE("random corruption of valid frames never crashes") {
  std::mt19937 rng(7);
  size_t errors = 0;
  for (int i = 0; i < 3000; ++i) {
    auto type = i % 2 ? SerializeType::kJson : SerializeType::kRocketmq;
    std::string frame = EncodeFrame(RandomCommand(rng, type));
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) frame[rng() % frame.size()] = static_cast<char>(rng());
    FrameDecoder decoder;
    std::vector<Command> out;
    Status s = decoder.Feed(reinterpret_cast<const uint8_t*>(frame.data()), frame.size(), out);
    errors += s.ok() ? 0 : 1;
    CHECK(out.size() <= 1);
  }
  CHECK(errors > 0);
}
