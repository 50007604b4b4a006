// Producer body compression (Java's tryToCompressMessage: zlib, level 5, bodies of >= 4096 bytes,
// COMPRESSED sysFlag), bounded inflation on decode, and the admin bodies of updateSubGroup and
// brokerStatus.
#include <doctest/doctest.h>

#include <zlib.h>

#include "client/admin_impl.h"
#include "client/message_codec.h"
#include "client/protocol.h"
#include "fixture.h"
#include "model/message_layout.h"
#include "model/message_record.h"
#include "model/properties.h"
#include "remoting/frame.h"

using namespace mq::client;
using mq::client::test::Fields;
using mq::client::test::LoadFrame;

namespace {

// Compressible, not trivially: a repeating text with a counter.
std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i % 97) + " of the message body\n";
  s.resize(n);
  return s;
}

mq::model::MessageRecord Record(int64_t queue_offset, std::string body, int32_t sys_flag) {
  mq::model::MessageRecord r;
  r.topic = "ZipTopic";
  r.queue_id = 1;
  r.queue_offset = queue_offset;
  r.physical_offset = 1000 * queue_offset;
  r.sys_flag = sys_flag;
  r.born_host = mq::model::HostAddress::V4(127, 0, 0, 1, 5000);
  r.store_host = mq::model::HostAddress::V4(127, 0, 0, 1, 10911);
  r.body = std::move(body);
  mq::model::MessageProperties props;
  props.Set(mq::model::kTags, "TagZ");
  r.properties = props.Encode();
  return r;
}

}  // namespace

TEST_CASE("a compressed body is a zlib stream that inflates back to the original") {
  const std::string body = Text(64 * 1024);
  auto z = CompressBody(body, 5);
  REQUIRE(z.ok());
  CHECK(z->size() < body.size() / 4);
  // zlib header (what java.util.zip.Deflater writes): CMF 0x78, CMF*256+FLG divisible by 31.
  REQUIRE(z->size() > 2);
  CHECK(static_cast<uint8_t>((*z)[0]) == 0x78);
  CHECK(((static_cast<uint8_t>((*z)[0]) << 8) | static_cast<uint8_t>((*z)[1])) % 31 == 0);
  auto back = InflateBody(z.value());
  REQUIRE(back.ok());
  CHECK(back.value() == body);
  // What a Java consumer runs (InflaterInputStream = zlib's uncompress) reads it too.
  std::string out(body.size(), '\0');
  uLongf out_len = out.size();
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len, reinterpret_cast<const Bytef*>(z->data()),
                     z->size()) == Z_OK);
  CHECK(out_len == body.size());
  CHECK(out == body);
}

TEST_CASE("the threshold: like Java, bodies of at least compress_over_bytes are compressed") {
  int32_t flag = 0;
  CHECK(BodyForSend(Text(4095), 4096, 5, &flag) == Text(4095));
  CHECK(flag == 0);

  flag = 0;
  std::string sent = BodyForSend(Text(4096), 4096, 5, &flag);
  CHECK(flag == mq::model::sysflag::kCompressed);
  CHECK(sent.size() < 4096);
  CHECK(InflateBody(sent).value() == Text(4096));

  flag = 0;
  sent = BodyForSend(Text(4097), 4096, 5, &flag);
  CHECK(flag == mq::model::sysflag::kCompressed);
  CHECK(InflateBody(sent).value() == Text(4097));

  // 0 turns compression off; other sysFlag bits are kept.
  flag = 0x4;
  CHECK(BodyForSend(Text(100000), 0, 5, &flag).size() == 100000);
  CHECK(flag == 0x4);
  sent = BodyForSend(Text(100000), 4096, 5, &flag);
  CHECK(flag == (0x4 | mq::model::sysflag::kCompressed));

  // Bytes that do not shrink go as they are, without the flag.
  std::string noise(8192, '\0');
  uint32_t x = 12345;
  for (auto& c : noise) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  flag = 0;
  CHECK(BodyForSend(noise, 4096, 5, &flag) == noise);
  CHECK(flag == 0);
}

TEST_CASE("the send request carries the COMPRESSED sysFlag and the compressed body") {
  const std::string body = Text(10000);
  SendHeader h;
  h.producer_group = "PG";
  h.topic = "ZipTopic";
  h.properties = "WAIT\001true\002";
  const std::string sent = BodyForSend(body, 4096, 5, &h.sys_flag);
  const auto frame = mq::remoting::EncodeFrame(BuildSendRequest(h, sent));
  mq::remoting::Command decoded;
  REQUIRE(mq::remoting::DecodeFrame(frame, mq::remoting::FrameLimits{}, decoded).ok());
  CHECK(decoded.code == 310);
  CHECK(Fields(decoded).at("f") == "1");  // SEND_MESSAGE_V2: "f" is sysFlag
  CHECK(decoded.body.size() < body.size());
  CHECK(InflateBody(decoded.body).value() == body);

  SendHeader small = h;
  small.sys_flag = 0;
  const std::string plain = BodyForSend("hello", 4096, 5, &small.sys_flag);
  CHECK(Fields(BuildSendRequest(small, plain)).at("f") == "0");
}

TEST_CASE("corrupt, truncated or oversized compressed bodies are refused with a reason") {
  auto garbage = InflateBody("this is not zlib data at all");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().remark().find("corrupt") != std::string::npos);

  const std::string z = CompressBody(Text(50000), 5).value();
  auto cut = InflateBody(std::string_view(z).substr(0, z.size() / 2));
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().remark().find("truncated") != std::string::npos);

  std::string flipped = z;
  flipped[flipped.size() - 1] ^= 0x5a;  // the Adler-32 trailer
  CHECK_FALSE(InflateBody(flipped).ok());
  CHECK_FALSE(InflateBody("").ok());

  // A small stream of zeros that would inflate past the cap: stopped at the cap, not allocated.
  const std::string bomb = CompressBody(std::string(kMaxInflatedBodyBytes + 1, '\0'), 9).value();
  CHECK(bomb.size() < 64 * 1024);
  auto big = InflateBody(bomb);
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().remark().find("inflates past") != std::string::npos);
  CHECK(InflateBody(CompressBody(std::string(kMaxInflatedBodyBytes, '\0'), 9).value()).ok());
}

TEST_CASE("pulled messages: compressed bodies inflate, a corrupt one is reported alone") {
  const std::string big = Text(64 * 1024);
  std::string pull;
  mq::model::EncodeRecord(Record(0, CompressBody(big, 5).value(), mq::model::sysflag::kCompressed), pull);
  mq::model::EncodeRecord(Record(1, "not zlib", mq::model::sysflag::kCompressed), pull);
  mq::model::EncodeRecord(Record(2, "plain body", 0), pull);

  std::vector<UndecodableMessage> bad;
  auto msgs = DecodeMessages(pull, "broker-a", &bad);
  REQUIRE(msgs.ok());
  REQUIRE(msgs->size() == 2);
  CHECK((*msgs)[0].body == big);
  CHECK((*msgs)[0].queue_offset == 0);
  CHECK(((*msgs)[0].sys_flag & mq::model::sysflag::kCompressed) != 0);  // as stored, like Java
  CHECK((*msgs)[0].tags == "TagZ");
  CHECK(TagMatches({"TagZ"}, (*msgs)[0]));
  CHECK((*msgs)[1].body == "plain body");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].message.queue_offset == 1);
  CHECK(bad[0].message.body == "not zlib");
  CHECK(bad[0].status.remark().find("ZipTopic@broker-a#1 offset 1") != std::string::npos);
  CHECK(bad[0].status.remark().find("corrupt") != std::string::npos);

  // Without a report list the bad message is logged and skipped; the rest still arrive.
  auto logged = DecodeMessages(pull, "broker-a");
  REQUIRE(logged.ok());
  CHECK(logged->size() == 2);
}

TEST_CASE("updateSubGroup sends SubscriptionGroupConfig as fastjson writes it") {
  mq::SubscriptionGroupOptions o;
  CHECK(mq::EncodeSubscriptionGroupConfig("GID_A", o) ==
        R"({"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,)"
        R"("groupName":"GID_A","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,)"
        R"("whichBrokerWhenConsumeSlowly":1})");
  o.consume_enable = false;
  o.retry_max_times = 3;
  o.retry_queue_nums = 2;
  o.broker_id = 1;
  CHECK(mq::EncodeSubscriptionGroupConfig("g\"1", o) ==
        R"({"brokerId":1,"consumeBroadcastEnable":true,"consumeEnable":false,"consumeFromMinEnable":true,)"
        R"("groupName":"g\"1","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":2,)"
        R"("whichBrokerWhenConsumeSlowly":1})");
}

TEST_CASE("brokerStatus reads the real broker's runtime KVTable") {
  auto table = mq::ParseKvTable(LoadFrame("0126-broker2client-resp.bin").body);
  REQUIRE(table.ok());
  CHECK(table->at("brokerVersionDesc") == "V4_9_8");
  CHECK(table->at("msgPutTotalTodayNow") == "1411");
  CHECK(table->begin()->first == "EndTransactionQueueSize");  // sorted as mqadmin prints (TreeMap order)
  CHECK_FALSE(mq::ParseKvTable("{\"nope\":1}").ok());
}
