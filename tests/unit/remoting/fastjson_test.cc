// fastjson dialect helpers (spec 2.1): bare integer keys, lenient member reads, string escaping.
#include <doctest/doctest.h>

#include "remoting/fastjson.h"

using namespace mq;
using namespace mq::remoting;

TEST_CASE("QuoteBareKeys quotes integer keys outside strings only") {
  CHECK(QuoteBareKeys(R"({0:"a",1:"b"})") == R"({"0":"a","1":"b"})");
  CHECK(QuoteBareKeys(R"({"brokerAddrs":{0:"127.0.0.1:30911", 12 :"x"}})") ==
        R"({"brokerAddrs":{"0":"127.0.0.1:30911", "12" :"x"}})");
  CHECK(QuoteBareKeys(R"({"t":{"T@g":{-1:12,1:7}}})") == R"({"t":{"T@g":{"-1":12,"1":7}}})");
  CHECK(QuoteBareKeys("{\n  0\t:\r1}") == "{\n  \"0\"\t:\r1}");
  // Untouched: values, array elements, strings that look like bare keys, escaped quotes.
  for (const char* same : {R"([1,2,{"a":1}])", R"({"a":1,"b":[3,4]})", R"({"s":"{0:1,2:3}"})",
                           R"({"s":"x\",1:2"})", "", "{", "{1", "{1 ", "{-:1}",
                           R"({"a":-1,"b":2})"}) {
    CAPTURE(same);
    CHECK(QuoteBareKeys(same) == same);
  }
  // After a string ending in an escaped backslash, the next key is outside the string again.
  CHECK(QuoteBareKeys(R"({"s":"\\",5:1})") == R"({"s":"\\","5":1})");
  CHECK(QuoteBareKeys(R"({"s":"\\",0.5:1})") == R"({"s":"\\",0.5:1})");  // not an integer: left alone
  const std::string once = QuoteBareKeys(R"({0:{1:2}})");
  CHECK(QuoteBareKeys(once) == once);
}

TEST_CASE("ParseFastjson reads Java bodies and reports errors") {
  rapidjson::Document doc;
  REQUIRE(ParseFastjson(R"({"brokerAddrs":{0:"127.0.0.1:30911"},"brokerName":"b"})", doc).ok());
  CHECK(std::string(doc["brokerAddrs"]["0"].GetString()) == "127.0.0.1:30911");
  Status s = ParseFastjson(R"({"a":)", doc);
  CHECK(!s.ok());
  CHECK(s.code() == ResponseCode::kSystemError);
  CHECK(s.remark().find("offset") != std::string::npos);
}

TEST_CASE("lenient member reads") {
  rapidjson::Document doc;
  REQUIRE(ParseFastjson(R"({"i":12,"s":"1690000000000","d":3.0,"f":2.5,"b":true,"bs":"TRUE","bn":0,)"
                        R"("n":null,"o":{},"neg":"-7","big":18446744073709551615,"str":"x","bad":"12a"})",
                        doc).ok());
  CHECK(GetInt64Member(doc, "i", 0).value() == 12);
  CHECK(GetInt64Member(doc, "s", 0).value() == 1690000000000);
  CHECK(GetInt64Member(doc, "d", 0).value() == 3);
  CHECK(GetInt64Member(doc, "neg", 0).value() == -7);
  CHECK(GetInt64Member(doc, "absent", 5).value() == 5);
  CHECK(GetInt64Member(doc, "n", 6).value() == 6);
  CHECK(!GetInt64Member(doc, "f", 0).ok());
  CHECK(!GetInt64Member(doc, "big", 0).ok());
  CHECK(!GetInt64Member(doc, "bad", 0).ok());
  CHECK(!GetInt64Member(doc, "o", 0).ok());
  CHECK(GetInt32Member(doc, "i", 0).value() == 12);
  CHECK(!GetInt32Member(doc, "s", 0).ok());
  CHECK(GetBoolMember(doc, "b", false).value());
  CHECK(GetBoolMember(doc, "bs", false).value());
  CHECK(!GetBoolMember(doc, "bn", true).value());
  CHECK(GetBoolMember(doc, "absent", true).value());
  CHECK(!GetBoolMember(doc, "str", true).ok());
  CHECK(GetStringMember(doc, "str", "").value() == "x");
  CHECK(GetStringMember(doc, "i", "").value() == "12");
  CHECK(GetStringMember(doc, "b", "").value() == "true");
  CHECK(GetStringMember(doc, "f", "").value() == "2.5");
  CHECK(GetStringMember(doc, "absent", "dflt").value() == "dflt");
  CHECK(!GetStringMember(doc, "o", "").ok());
  CHECK(FindMember(doc["i"], "x") == nullptr);
}

TEST_CASE("AppendJsonString escapes like fastjson") {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\x01\x1f\b\f\n\r\t\x7f\xC3\xA9/\0", 17));
  CHECK(out == std::string("\"a\\\"b\\\\c\\u0001\\u001F\\b\\f\\n\\r\\t\x7f\xC3\xA9/\\u0000\""));
}
