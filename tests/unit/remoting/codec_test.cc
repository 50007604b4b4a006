// Unit tests of the header codecs and frames on hand-made input (fixtures live in fixtures_test).
#include <doctest/doctest.h>

#include "base/bytes.h"
#include "remoting/frame.h"
#include "remoting/request_code.h"
#include "test_util.h"

using namespace mq;
using namespace mq::remoting;
using namespace mq::remoting::test;

namespace {

Command DecodeJsonOk(std::string_view header) {
  Command cmd;
  Status s = DecodeCommand(SerializeType::kJson, header, "", FrameLimits{}, cmd);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return cmd;
}

Status DecodeJson(std::string_view header, const FrameLimits& limits = {}) {
  Command cmd;
  return DecodeCommand(SerializeType::kJson, header, "", limits, cmd);
}

std::string Frame(uint32_t length, uint32_t word, std::string_view rest) {
  std::string out;
  AppendBe32(out, length);
  AppendBe32(out, word);
  out.append(rest);
  return out;
}

}  // namespace

TEST_CASE("language names and codes (spec 1.7)") {
  CHECK(std::string(LanguageName(0)) == "JAVA");
  CHECK(std::string(LanguageName(9)) == "GO");
  CHECK(std::string(LanguageName(12)) == "RUST");
  CHECK(std::string(LanguageName(13)) == "OTHER");
  CHECK(std::string(LanguageName(255)) == "OTHER");
  CHECK(LanguageCodeOf("CPP") == 1);
  CHECK(LanguageCodeOf("OMS") == 11);
  CHECK(LanguageCodeOf("NODE") == 7);
  for (uint8_t c = 0; c <= 12; ++c) CHECK(LanguageCodeOf(LanguageName(c)) == c);
}

TEST_CASE("request codes and names") {
  CHECK(RequestCode::kGetRouteinfoByTopic == 105);
  CHECK(RequestCode::kSendMessageV2 == 310);
  CHECK(RequestCode::kQueryDataVersion == 322);
  CHECK(std::string(RequestCodeName(RequestCode::kRegisterBroker)) == "REGISTER_BROKER");
  CHECK(std::string(RequestCodeName(329)) == "DELETE_EXPIRED_COMMITLOG");
  CHECK(std::string(RequestCodeName(9999)) == "UNKNOWN");
}

TEST_CASE("ExtFields keeps insertion order and parses like Java") {
  ExtFields f;
  f.Set("b", "1");
  f.Set("a", "x");
  f.Set("b", "2");
  REQUIRE(f.size() == 2);
  CHECK(f.begin()->first == "b");
  CHECK(*f.Find("b") == "2");
  CHECK(f.GetInt32("b").value() == 2);
  CHECK(!f.GetInt32("a").ok());
  CHECK(f.GetInt32("missing").status().remark().find("missing") != std::string::npos);
  f.Set("n", "+42");
  CHECK(f.GetInt64("n").value() == 42);
  f.Set("n", "-9223372036854775808");
  CHECK(f.GetInt64("n").value() == INT64_MIN);
  CHECK(!f.GetInt32("n").ok());
  f.Set("n", " 1");
  CHECK(!f.GetInt64("n").ok());
  f.Set("n", "+-1");
  CHECK(!f.GetInt64("n").ok());
  CHECK(f.GetInt32Or("absent", 7).value() == 7);
  CHECK(!f.GetInt32Or("a", 7).ok());
  f.Set("t", "TrUe");
  CHECK(f.GetBoolOr("t", false));
  CHECK(!f.GetBoolOr("a", true));
  CHECK(f.GetBoolOr("absent", true));
  CHECK(f.Erase("a"));
  CHECK(!f.Erase("a"));
  CHECK(f.GetString("t").value() == "TrUe");
}

TEST_CASE("Request and ResponseTo") {
  Command req = Command::Request(RequestCode::kHeartBeat);
  CHECK(req.version == kServerVersion);
  CHECK(req.language == "JAVA");
  req.opaque = 77;
  req.serialize_type = SerializeType::kRocketmq;
  Command resp = Command::ResponseTo(req, ResponseCode::kSystemBusy, "busy");
  CHECK(resp.is_response());
  CHECK(resp.opaque == 77);
  CHECK(resp.code == 2);
  CHECK(resp.serialize_type == SerializeType::kRocketmq);
  CHECK(resp.remark == "busy");
  const std::string frame = EncodeFrame(resp);
  CHECK(static_cast<uint8_t>(frame[4]) == 1);  // ROCKETMQ request -> ROCKETMQ response
  Command err = Command::ErrorResponse(req, Status::SystemError("boom"));
  CHECK(err.code == 1);
  CHECK(err.remark == "boom");
}

TEST_CASE("JSON header: spec 1.2 example encodes byte-exact") {
  Command cmd = Command::Request(RequestCode::kGetRouteinfoByTopic);
  cmd.opaque = 1;
  cmd.ext_fields.Set("topic", "TopicTest");
  const std::string frame = EncodeFrame(cmd);
  const std::string header =
      R"({"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":1,)"
      R"("serializeTypeCurrentRPC":"JSON","version":409})";
  CHECK(frame == Frame(0x87, 0x83, header));
}

TEST_CASE("binary header: spec 1.5 example decodes and encodes byte-exact") {
  const std::string bytes = Frame(0x2d, 0x01000029,
      std::string("\x00\x69\x00\x01\x99\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x14"
                  "\x00\x05topic\x00\x00\x00\x09TopicTest", 41));
  Command cmd;
  REQUIRE(DecodeFrame(bytes, FrameLimits{}, cmd).ok());
  CHECK(cmd.code == 105);
  CHECK(cmd.version == 409);
  CHECK(cmd.opaque == 1);
  CHECK(cmd.serialize_type == SerializeType::kRocketmq);
  CHECK(!cmd.remark.has_value());
  CHECK(*cmd.ext_fields.Find("topic") == "TopicTest");
  CHECK(EncodeFrame(cmd) == bytes);
}

TEST_CASE("JSON header reading is lenient (spec 1.4)") {
  SUBCASE("scalars in extFields become strings, null is absent") {
    Command c = DecodeJsonOk(
        R"({"code":310,"extFields":{"d":4,"e":-2,"x":1.50,"u":false,"t":true,"n":null,"s":"v"},)"
        R"("flag":0,"language":"CPP","opaque":3,"remark":"","version":333})");
    CHECK(*c.ext_fields.Find("d") == "4");
    CHECK(*c.ext_fields.Find("e") == "-2");
    CHECK(*c.ext_fields.Find("x") == "1.50");
    CHECK(*c.ext_fields.Find("u") == "false");
    CHECK(*c.ext_fields.Find("t") == "true");
    CHECK(c.ext_fields.Find("n") == nullptr);
    CHECK(c.ext_fields.size() == 6);
    CHECK(c.remark == std::optional<std::string>(""));
    CHECK(c.language == "CPP");
    CHECK(!c.serialize_type_member);
  }
  SUBCASE("objects and arrays as ext values keep their compact text") {
    Command c = DecodeJsonOk(R"({"code":1,"extFields":{"o":{ "a" : [1, {"b":null}] },"a":[]}})");
    CHECK(*c.ext_fields.Find("o") == R"({"a":[1,{"b":null}]})");
    CHECK(*c.ext_fields.Find("a") == "[]");
  }
  SUBCASE("members in any order, unknown members ignored, whitespace allowed") {
    Command c = DecodeJsonOk(
        R"( { "x":{"code":5,"y":[1,2,{"z":3}]}, "opaque" : 9 , "code":38, "remark":null, "language":"RUBYISH",)"
        R"( "extFields":{"consumerGroup":"G"}, "unknownNum": 1e300, "flag":2 } )");
    CHECK(c.code == 38);
    CHECK(c.opaque == 9);
    CHECK(c.flag == 2);
    CHECK(c.is_oneway());
    CHECK(!c.remark.has_value());
    CHECK(c.language == "RUBYISH");
    CHECK(c.version == 0);
    CHECK(*c.ext_fields.Find("consumerGroup") == "G");
  }
  SUBCASE("unicode escapes incl. surrogate pairs; control characters") {
    Command c = DecodeJsonOk(R"({"code":1,"extFields":{"i":"a\u0001b\u0002\u00e9\ud83d\ude00\"\\\/\n"}})");
    CHECK(*c.ext_fields.Find("i") == "a\x01" "b\x02\xC3\xA9\xF0\x9F\x98\x80\"\\/\n");
    Command back;
    REQUIRE(DecodeCommand(SerializeType::kJson, [&] { std::string h; EncodeHeader(c, h); return h; }(), "",
                          FrameLimits{}, back).ok());
    CHECK(DiffCommands(c, back) == "");
  }
  SUBCASE("numeric strings and ordinals at the top level") {
    Command c = DecodeJsonOk(R"({"code":"105","language":9,"opaque":-5,"flag":0})");
    CHECK(c.code == 105);
    CHECK(c.language == "GO");
    CHECK(c.opaque == -5);
  }
  SUBCASE("extFields null vs {}") {
    CHECK(!DecodeJsonOk(R"({"code":1,"extFields":null})").ext_fields_member);
    CHECK(DecodeJsonOk(R"({"code":1,"extFields":{}})").ext_fields_member);
    CHECK(!DecodeJsonOk(R"({"code":1})").ext_fields_member);
    // Repeated member: the last one wins, as in fastjson.
    Command c = DecodeJsonOk(R"({"extFields":{"a":"1"},"extFields":{"b":"2"}})");
    CHECK(c.ext_fields.size() == 1);
    CHECK(c.ext_fields.Find("a") == nullptr);
    CHECK(c.ext_fields.empty() == false);
    c = DecodeJsonOk(R"({"extFields":{"a":"1"},"extFields":null})");
    CHECK(c.ext_fields.empty());
    CHECK(!c.ext_fields_member);
  }
}

TEST_CASE("JSON header writing") {
  Command c = Command::Request(11);
  c.ext_fields.Set("z", "1");
  c.ext_fields.Set("a", "q\"\\\x01\x1f\t\b\f\r\n\x7f\xC3\xA9/");
  c.remark = "r";
  std::string h;
  EncodeHeader(c, h);
  CHECK(h == R"({"code":11,"extFields":{"z":"1","a":"q\"\\\u0001\u001F\t\b\f\r\n)" "\x7f\xC3\xA9/"
             R"("},"flag":0,"language":"JAVA","opaque":0,"remark":"r","serializeTypeCurrentRPC":"JSON","version":409})");
  c.ext_fields = ExtFields();
  c.ext_fields_member = false;
  c.serialize_type_member = false;
  c.remark.reset();
  h.clear();
  EncodeHeader(c, h);
  CHECK(h == R"({"code":11,"flag":0,"language":"JAVA","opaque":0,"version":409})");
  c.ext_fields_member = true;
  h.clear();
  EncodeHeader(c, h);
  CHECK(h == R"({"code":11,"extFields":{},"flag":0,"language":"JAVA","opaque":0,"version":409})");
}

TEST_CASE("invalid JSON headers are errors") {
  const char* bad[] = {"", "{", "[]", "42", "\"x\"", "{\"code\":}", "{\"code\":1}x", "{\"code\":1,}",
                       "{\"code\":1.5}", "{\"code\":99999999999}", "{\"code\":true}", "{\"code\":[1]}",
                       "{\"extFields\":[]}", "{\"extFields\":{\"a\":\"\\ud800\"}}", "{\"a\":\"\x01\"}",
                       "{\"code\":\"1x\"}", "{\"language\":300}"};
  for (const char* h : bad) {
    CAPTURE(h);
    CHECK(!DecodeJson(h).ok());
  }
  CHECK(!DecodeJson(std::string_view("{\"code\":1}\0", 11)).ok());
}

TEST_CASE("limits: ext field count, remark size, header size") {
  FrameLimits limits;
  limits.max_ext_fields = 2;
  CHECK(DecodeJson(R"({"extFields":{"a":"1","b":"2"}})", limits).ok());
  CHECK(DecodeJson(R"({"extFields":{"a":"1","b":"2","a":"3"}})", limits).ok());  // duplicate replaces
  CHECK(!DecodeJson(R"({"extFields":{"a":"1","b":"2","c":"3"}})", limits).ok());
  limits.max_remark_bytes = 3;
  CHECK(DecodeJson(R"({"remark":"abc"})", limits).ok());
  CHECK(!DecodeJson(R"({"remark":"abcd"})", limits).ok());
  limits.max_header_bytes = 8;
  CHECK(!DecodeJson(R"({"code":1})", limits).ok());

  Command c = Command::Request(1);
  c.serialize_type = SerializeType::kRocketmq;
  c.ext_fields.Set("a", "1");
  c.ext_fields.Set("b", "2");
  c.ext_fields.Set("c", "3");
  c.remark = "abcd";
  std::string h;
  EncodeHeader(c, h);
  Command out;
  FrameLimits small;
  CHECK(DecodeCommand(SerializeType::kRocketmq, h, "", small, out).ok());
  small.max_ext_fields = 2;
  CHECK(!DecodeCommand(SerializeType::kRocketmq, h, "", small, out).ok());
  small = FrameLimits{};
  small.max_remark_bytes = 3;
  CHECK(!DecodeCommand(SerializeType::kRocketmq, h, "", small, out).ok());
}
