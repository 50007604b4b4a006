// Properties string (spec 5.1), ids (5.4), tagsCode (5.5), batch body (5.8) on synthetic input.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <set>

#include "base/bytes.h"
#include "model/batch.h"
#include "model/message_id.h"
#include "model/properties.h"

using namespace mq;
using namespace mq::model;

TEST_CASE("properties parse: reference rules") {
  auto p = MessageProperties::Parse("A\x01" "1\x02" "B\x01" "2");
  REQUIRE(p.size() == 2);
  CHECK(p.Get("A") == "1");
  CHECK(p.Get("B") == "2");
  CHECK(p.Encode() == "A\x01" "1\x02" "B\x01" "2");
  CHECK(p.EncodedSize() == p.Encode().size());

  // Trailing \x02 tolerated, not re-emitted.
  p = MessageProperties::Parse("A\x01" "1\x02");
  CHECK(p.size() == 1);
  CHECK(p.Encode() == "A\x01" "1");
  // Empty key, empty value, missing \x01, empty segments: dropped.
  p = MessageProperties::Parse("\x01v\x02k\x01\x02noval\x02\x02\x02X\x01y\x02\x02");
  REQUIRE(p.size() == 1);
  CHECK(p.Get("X") == "y");
  // Last wins; the first position is kept so order stays deterministic.
  p = MessageProperties::Parse("K\x01" "1\x02Z\x01z\x02K\x01" "2");
  CHECK(p.Get("K") == "2");
  CHECK(p.Encode() == "K\x01" "2\x02Z\x01z");
  // Only the first \x01 splits: the value keeps later ones.
  p = MessageProperties::Parse("K\x01" "a\x01" "b");
  CHECK(p.Get("K") == "a\x01" "b");
  CHECK(MessageProperties::Parse("").empty());
  CHECK(MessageProperties::Parse("\x02\x02").empty());
  CHECK(MessageProperties::Parse("\x01").empty());
  CHECK(MessageProperties::Parse("K\x01").empty());
  // UTF-8 passes through untouched.
  p = MessageProperties::Parse("note\x01\xC3\xBCn\xE6\xB6\x88");
  CHECK(p.Get("note") == "\xC3\xBCn\xE6\xB6\x88");
}

TEST_CASE("properties set/erase and allocation-free lookup") {
  MessageProperties p;
  CHECK(p.Encode().empty());
  CHECK(p.Set(kTags, "TagA"));
  CHECK(p.Set(kKeys, "k1 k2"));
  CHECK(p.Set(kTags, "TagB"));
  CHECK_FALSE(p.Set("", "v"));
  CHECK_FALSE(p.Set("k", ""));
  CHECK_FALSE(p.Set("k\x02", "v"));
  CHECK_FALSE(p.Set("k", "v\x02w"));
  CHECK(p.Encode() == "TAGS\x01TagB\x02KEYS\x01k1 k2");
  CHECK(p.Erase(kTags));
  CHECK_FALSE(p.Erase(kTags));
  CHECK(p.Encode() == "KEYS\x01k1 k2");
  CHECK(MessageProperties::Parse(p.Encode()) == p);

  const std::string_view enc = "TAGS\x01" "a\x02WAIT\x01true\x02TAGS\x01" "b\x02TAGS\x01\x02";
  CHECK(FindProperty(enc, kTags) == "b");  // last valid occurrence; the empty one is dropped
  CHECK(FindProperty(enc, kWait) == "true");
  CHECK_FALSE(FindProperty(enc, kKeys).has_value());
  CHECK_FALSE(FindProperty("TAGS", kTags).has_value());
}

TEST_CASE("tagsCode") {
  CHECK(TagsCode("TagA") == 2598919);
  CHECK(TagsCode("") == 0);
  CHECK(TagsCodeOfProperties("KEYS\x01x\x02TAGS\x01TagA") == 2598919);
  CHECK(TagsCodeOfProperties("KEYS\x01x") == 0);
  // Negative Java hashes are sign-extended: "hello world!".hashCode() == -217287203.
  CHECK(TagsCode("hello world!") == -217287203);
}

TEST_CASE("offset msgId encode/decode") {
  const auto host = HostAddress::V4(127, 0, 0, 1, 30911);
  const std::string id = MakeOffsetMsgId(host, 0x4495901E);
  CHECK(id == "7F000001000078BF000000004495901E");
  auto d = DecodeOffsetMsgId(id);
  REQUIRE(d.ok());
  CHECK(d->store_host == host);
  CHECK(d->commit_log_offset == 0x4495901E);
  CHECK(d->address() == "127.0.0.1:30911");
  CHECK(DecodeOffsetMsgId("7f000001000078bf000000004495901e").ok());

  const auto v6 = HostAddress::Parse("[fd00::2]:10911").value();
  const std::string id6 = MakeOffsetMsgId(v6, 12345);
  CHECK(id6.size() == 56);
  auto d6 = DecodeOffsetMsgId(id6);
  REQUIRE(d6.ok());
  CHECK(d6->store_host == v6);
  CHECK(d6->commit_log_offset == 12345);

  CHECK_FALSE(DecodeOffsetMsgId("").ok());
  CHECK_FALSE(DecodeOffsetMsgId("7F000001000078BF000000004495901").ok());     // 31
  CHECK_FALSE(DecodeOffsetMsgId("7F000001000078BF000000004495901G").ok());    // non-hex
  CHECK_FALSE(DecodeOffsetMsgId("7F00000100010000000000004495901E").ok());    // port 65536
  CHECK_FALSE(DecodeOffsetMsgId("7F000001000078BF800000004495901E").ok());    // negative offset
}

TEST_CASE("UNIQ_KEY generator layout") {
  UniqKeyGenerator gen(HostAddress::V4(192, 168, 0, 10, 0), 0x123456, 0xDEADBEEF);
  const int64_t month_start = 1700000000000;
  const std::string a = gen.NextAt(month_start + 0x01020304, month_start);
  const std::string b = gen.NextAt(month_start + 0x01020304, month_start);
  CHECK(a == "C0A8000A3456DEADBEEF010203040000");
  CHECK(b == "C0A8000A3456DEADBEEF010203040001");
  UniqKeyGenerator gen6(HostAddress::Parse("[fd00::2]:0").value(), 0x04FD, 0x5FFD2B27);
  // Same prefix as the fixture ids of the 4.9.8 Java client (ip fd00::2, pid 0x04FD).
  CHECK(gen6.NextAt(month_start, month_start).substr(0, 44) == "FD00000000000000000000000000000204FD5FFD2B27");
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(gen.Next());
  CHECK(ids.size() == 1000);
  const int64_t start = LocalMonthStartMs(1700000000000);
  CHECK(start <= 1700000000000);
  CHECK(1700000000000 - start < 31LL * 24 * 3600 * 1000 + 3600 * 1000);
}

TEST_CASE("batch body encode/decode and property appending") {
  std::string body;
  EncodeBatchEntry(1, "first", "UNIQ_KEY\x01" "A\x02TAGS\x01T", body);
  EncodeBatchEntry(0, "", "", body);
  EncodeBatchEntry(-5, std::string(300, 'z'), "UNIQ_KEY\x01" "B", body);
  CHECK(LoadBe32(reinterpret_cast<const uint8_t*>(body.data())) == 22 + 5 + 17);
  auto entries = DecodeBatch(reinterpret_cast<const uint8_t*>(body.data()), body.size(), 100);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 3);
  CHECK((*entries)[0].flag == 1);
  CHECK((*entries)[0].body == "first");
  CHECK((*entries)[0].properties == "UNIQ_KEY\x01" "A\x02TAGS\x01T");
  CHECK((*entries)[1].body.empty());
  CHECK((*entries)[2].flag == -5);
  CHECK((*entries)[2].body.size() == 300);
  CHECK(DecodeBatch(reinterpret_cast<const uint8_t*>(body.data()), body.size(), 2).status().code() ==
        ResponseCode::kMessageIllegal);
  CHECK_FALSE(DecodeBatch(nullptr, 0, 10).ok());
  for (size_t n = 1; n < body.size(); ++n) {
    std::unique_ptr<uint8_t[]> prefix(new uint8_t[n]);
    std::memcpy(prefix.get(), body.data(), n);
    auto r = DecodeBatch(prefix.get(), n, 100);
    // The only valid prefixes end exactly on an entry boundary.
    const bool boundary = n == 44 || n == 66;
    CHECK(r.ok() == boundary);
  }
  std::string bad = body;
  StoreBe32(reinterpret_cast<uint8_t*>(bad.data()) + 16, 0xFFFFFFF0);
  CHECK_FALSE(DecodeBatch(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), 100).ok());

  CHECK(AppendBatchProperties("A\x01" "1", "WAIT\x01true") == "A\x01" "1\x02WAIT\x01true");
  CHECK(AppendBatchProperties("A\x01" "1\x02", "WAIT\x01true") == "A\x01" "1\x02WAIT\x01true");
  CHECK(AppendBatchProperties("", "WAIT\x01true") == "WAIT\x01true");
  CHECK(AppendBatchProperties("A\x01" "1", "") == "A\x01" "1");
  CHECK(AppendedBatchPropertiesSize("A\x01" "1", "W\x01t") == 7);
}
