// MessageRecord codec on synthetic records: layout numbers, round trips, IPv6, truncation/corruption.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "base/bytes.h"
#include "base/hash.h"
#include "model/batch.h"
#include "model/message_record.h"

using namespace mq;
using namespace mq::model;

namespace {

MessageRecord Sample() {
  MessageRecord r;
  r.queue_id = 3;
  r.flag = 7;
  r.queue_offset = 42;
  r.physical_offset = 1234567;
  r.sys_flag = 0x301;
  r.born_timestamp_ms = 1700000000123;
  r.born_host = HostAddress::V4(10, 0, 0, 5, 50123);
  r.store_timestamp_ms = 1700000000456;
  r.store_host = HostAddress::V4(127, 0, 0, 1, 10911);
  r.reconsume_times = 2;
  r.prepared_transaction_offset = 99;
  r.body = "hello body";
  r.topic = "TopicTest";
  r.properties = "TAGS\x01TagA\x02KEYS\x01k1 k2";
  return r;
}

}  // namespace

TEST_CASE("record layout numbers of spec 5.6") {
  const MessageRecord r = Sample();
  std::string out;
  EncodeRecord(r, out);
  REQUIRE(out.size() == 91 + r.body.size() + r.topic.size() + r.properties.size());
  REQUIRE(out.size() == EncodedSize(r));
  const auto* p = reinterpret_cast<const uint8_t*>(out.data());
  CHECK(LoadBe32(p) == out.size());
  CHECK(LoadBe32(p + 4) == kMessageMagic);
  CHECK(static_cast<int32_t>(LoadBe32(p + 8)) == MaskedCrc32(r.body.data(), r.body.size()));
  CHECK(LoadBe32(p + 12) == 3);
  CHECK(LoadBe32(p + 16) == 7);
  CHECK(LoadBe64(p + 20) == 42);
  CHECK(LoadBe64(p + 28) == 1234567);
  CHECK(LoadBe32(p + 36) == 0x301);
  CHECK(LoadBe64(p + 40) == 1700000000123);
  CHECK(p[48] == 10);
  CHECK(LoadBe32(p + 52) == 50123);
  CHECK(LoadBe64(p + 56) == 1700000000456);
  CHECK(LoadBe32(p + 64) == 0x7F000001);
  CHECK(LoadBe32(p + 68) == 10911);
  CHECK(LoadBe32(p + 72) == 2);
  CHECK(LoadBe64(p + 76) == 99);
  CHECK(LoadBe32(p + 84) == r.body.size());
  CHECK(p[88 + r.body.size()] == r.topic.size());
}

TEST_CASE("encode/decode round trip, append and exact-buffer forms agree") {
  const MessageRecord r = Sample();
  std::string appended = "prefix";
  EncodeRecord(r, appended);
  std::string exact(EncodedSize(r), '\0');
  EncodeRecordTo(r, reinterpret_cast<uint8_t*>(exact.data()), exact.size());
  CHECK(appended.substr(6) == exact);
  auto decoded = DecodeRecord(reinterpret_cast<const uint8_t*>(exact.data()), exact.size(), true);
  REQUIRE(decoded.ok());
  CHECK(*decoded == r);
  // Trailing bytes after TOTALSIZE are not part of the record.
  std::string padded = exact + std::string(16, '\xAB');
  auto view = RecordView::Parse(reinterpret_cast<const uint8_t*>(padded.data()), padded.size(), true);
  REQUIRE(view.ok());
  CHECK(view->size_bytes() == exact.size());
  CHECK(view->topic() == "TopicTest");
  CHECK(view->body() == "hello body");
  CHECK(view->properties() == r.properties);
  CHECK(view->store_host().ToString() == "127.0.0.1:10911");
  CHECK(view->born_host().ToString() == "10.0.0.5:50123");
}

TEST_CASE("IPv6 hosts drive the V6 sysflag bits and the layout") {
  MessageRecord r = Sample();
  r.sys_flag = 0x20;  // claims store V6 but hosts are IPv4: the encoder corrects it
  CHECK(EffectiveSysFlag(r) == 0);
  r.born_host = HostAddress::Parse("[fd00::2]:4000").value();
  CHECK(r.born_host.v6);
  CHECK(EffectiveSysFlag(r) == sysflag::kBornHostV6);
  r.store_host = HostAddress::Parse("::1:10911").value();
  r.sys_flag = EffectiveSysFlag(r);
  CHECK(r.sys_flag == (sysflag::kBornHostV6 | sysflag::kStoreHostV6));
  std::string out;
  EncodeRecord(r, out);
  CHECK(out.size() == 115 + r.body.size() + r.topic.size() + r.properties.size());
  auto decoded = DecodeRecord(reinterpret_cast<const uint8_t*>(out.data()), out.size(), true);
  REQUIRE(decoded.ok());
  CHECK(*decoded == r);
  CHECK(decoded->store_host.ToString() == "::1:10911");
  CHECK(decoded->born_host.ToString() == "fd00::2:4000");
  // IPv4-mapped peers become plain IPv4 (spec 5.3 caution).
  auto mapped = HostAddress::Parse("[::ffff:192.168.1.9]:80");
  REQUIRE(mapped.ok());
  CHECK_FALSE(mapped->v6);
  CHECK(mapped->ToString() == "192.168.1.9:80");
  CHECK_FALSE(HostAddress::Parse("1.2.3.4").ok());
  CHECK_FALSE(HostAddress::Parse("1.2.3.4:70000").ok());
  CHECK_FALSE(HostAddress::Parse("nohost:1").ok());
}

TEST_CASE("every truncation of a record is an error, never an over-read") {
  for (bool v6 : {false, true}) {
    MessageRecord r = Sample();
    if (v6) r.store_host = HostAddress::Parse("[fd00::1]:10911").value();
    std::string enc;
    EncodeRecord(r, enc);
    for (size_t n = 0; n < enc.size(); ++n) {
      // A fresh heap copy of exactly n bytes, so a sanitizer catches any read past the prefix.
      std::unique_ptr<uint8_t[]> prefix(new uint8_t[n + 1]);
      std::memcpy(prefix.get(), enc.data(), n);
      CHECK_FALSE(RecordView::Parse(prefix.get(), n, true).ok());
      if (n != 0) CHECK_FALSE(ParseRecordSequence(prefix.get(), n, false).ok());
    }
    CHECK(RecordView::Parse(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), true).ok());
  }
}

TEST_CASE("corrupted records are rejected") {
  const MessageRecord r = Sample();
  std::string good;
  EncodeRecord(r, good);
  auto parse = [](const std::string& s, bool crc = true) {
    return RecordView::Parse(reinterpret_cast<const uint8_t*>(s.data()), s.size(), crc).ok();
  };
  auto with = [&](size_t offset, auto mutate) {
    std::string s = good;
    mutate(reinterpret_cast<uint8_t*>(s.data()) + offset);
    return s;
  };
  CHECK(parse(good));
  CHECK_FALSE(parse(with(4, [](uint8_t* p) { StoreBe32(p, 0x12345678); })));           // magic
  CHECK_FALSE(parse(with(0, [&](uint8_t* p) { StoreBe32(p, good.size() + 1); })));     // TOTALSIZE too big
  CHECK_FALSE(parse(with(0, [&](uint8_t* p) { StoreBe32(p, good.size() - 1); })));     // TOTALSIZE too small
  CHECK_FALSE(parse(with(0, [](uint8_t* p) { StoreBe32(p, 0xFFFFFFFF); })));
  CHECK_FALSE(parse(with(84, [](uint8_t* p) { StoreBe32(p, 0x7FFFFFFF); })));          // body length
  CHECK_FALSE(parse(with(84, [](uint8_t* p) { StoreBe32(p, 0x80000000); })));
  CHECK_FALSE(parse(with(88 + r.body.size(), [](uint8_t* p) { *p = 0xFF; })));        // topic length
  CHECK_FALSE(parse(with(36, [](uint8_t* p) { StoreBe32(p, 0x30); })));                // claims V6 hosts
  const std::string bad_crc = with(8, [](uint8_t* p) { StoreBe32(p, 1); });
  CHECK_FALSE(parse(bad_crc, true));
  CHECK(parse(bad_crc, false));
  // Every single-byte flip either still parses (a value field) or is rejected cleanly.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string s = good;
    s[i] = static_cast<char>(s[i] ^ 0x5A);
    (void)parse(s, true);
  }
}

TEST_CASE("V2 magic (5.x, 2-byte topic length) is read, re-encoded as V1") {
  MessageRecord r = Sample();
  std::string v1;
  EncodeRecord(r, v1);
  // Build the V2 form by hand: one more byte for the topic length.
  const size_t topic_len_at = 88 + r.body.size();
  std::string v2 = v1.substr(0, topic_len_at);
  v2.push_back('\0');
  v2.push_back(static_cast<char>(r.topic.size()));
  v2 += v1.substr(topic_len_at + 1);
  auto* p = reinterpret_cast<uint8_t*>(v2.data());
  StoreBe32(p, static_cast<uint32_t>(v2.size()));
  StoreBe32(p + 4, kMessageMagicV2);
  auto view = RecordView::Parse(p, v2.size(), true);
  REQUIRE(view.ok());
  CHECK(view->is_v2());
  CHECK(view->topic() == r.topic);
  CHECK(view->ToRecord() == r);
}

TEST_CASE("limits, blank marker, record kinds, append-time patch") {
  MessageRecord r = Sample();
  CHECK(CheckRecordLimits(r, 10).ok());
  CHECK(CheckRecordLimits(r, 9).code() == ResponseCode::kMessageIllegal);
  r.topic = std::string(128, 't');
  CHECK_FALSE(CheckRecordLimits(r, kDefaultMaxMessageBytes).ok());
  r.topic = std::string(127, 't');
  CHECK(CheckRecordLimits(r, kDefaultMaxMessageBytes).ok());
  r.properties = std::string(32768, 'p');
  CHECK_FALSE(CheckRecordLimits(r, kDefaultMaxMessageBytes).ok());

  uint8_t blank[8];
  EncodeBlankMarker(blank, sizeof(blank), 92);
  CHECK(IsBlankMarker(blank, 8));
  CHECK(PeekRecordKind(blank, 8) == RecordKind::kBlank);
  CHECK(LoadBe32(blank) == 92);
  CHECK_FALSE(RecordView::Parse(blank, 8, false).ok());
  uint8_t zeros[16] = {};
  CHECK(PeekRecordKind(zeros, 16) == RecordKind::kEnd);
  CHECK(PeekRecordKind(zeros, 4) == RecordKind::kCorrupt);

  std::string enc;
  EncodeRecord(Sample(), enc);
  auto* p = reinterpret_cast<uint8_t*>(enc.data());
  CHECK(PeekRecordKind(p, enc.size()) == RecordKind::kMessage);
  PatchAppendFields(p, enc.size(), 77, 888, 1700000009999);
  auto view = RecordView::Parse(p, enc.size(), true);
  REQUIRE(view.ok());
  CHECK(view->queue_offset() == 77);
  CHECK(view->physical_offset() == 888);
  CHECK(view->store_timestamp_ms() == 1700000009999);
  CHECK(view->born_timestamp_ms() == 1700000000123);
}

TEST_CASE("transaction type helpers") {
  CHECK(GetTransactionType(0x301) == TransactionType::kNot);
  CHECK(GetTransactionType(0x4) == TransactionType::kPrepared);
  CHECK(GetTransactionType(0x8 | 0x10) == TransactionType::kCommit);
  CHECK(GetTransactionType(0xC) == TransactionType::kRollback);
  CHECK(WithTransactionType(0x4 | 0x1, TransactionType::kCommit) == 0x9);
  CHECK(TakesQueueOffset(0x8));
  CHECK_FALSE(TakesQueueOffset(0x4));
}

TEST_CASE("a sequence of records; garbage in the tail is an error") {
  std::string buf;
  MessageRecord r = Sample();
  for (int i = 0; i < 5; ++i) {
    r.queue_offset = i;
    r.body = std::string(static_cast<size_t>(i) * 10, 'x');
    EncodeRecord(r, buf);
  }
  auto seq = ParseRecordSequence(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), true);
  REQUIRE(seq.ok());
  REQUIRE(seq->size() == 5);
  CHECK((*seq)[4].queue_offset() == 4);
  CHECK((*seq)[4].body().size() == 40);
  CHECK(ParseRecordSequence(nullptr, 0, true)->empty());
  buf.append(3, '\0');
  CHECK_FALSE(ParseRecordSequence(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), true).ok());
}

TEST_CASE("random mutations of valid records never crash the decoders") {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  std::string base;
  EncodeRecord(Sample(), base);
  EncodeRecord(Sample(), base);
  size_t accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = base.substr(0, next() % (base.size() + 1));
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < flips && !s.empty(); ++i) s[next() % s.size()] = static_cast<char>(next());
    std::unique_ptr<uint8_t[]> buf(new uint8_t[s.size() + 1]);
    std::memcpy(buf.get(), s.data(), s.size());
    auto view = RecordView::Parse(buf.get(), s.size(), iter % 2 == 0);
    if (view.ok()) {
      ++accepted;
      CHECK(view->size_bytes() <= s.size());
      (void)view->ToRecord();
    }
    (void)ParseRecordSequence(buf.get(), s.size(), false);
    (void)DecodeBatch(buf.get(), s.size(), 16);
  }
  CHECK(accepted > 0);  // value-field flips still parse
}
