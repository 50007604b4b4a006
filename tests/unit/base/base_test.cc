#include <doctest/doctest.h>

#include "base/hash.h"
#include "base/properties.h"
#include "base/status.h"

using namespace mq;

TEST_CASE("JavaStringHash matches java.lang.String#hashCode") {
  CHECK(JavaStringHash("TagA") == 2598919);
  CHECK(JavaStringHash("TagB") == 2598920);
  CHECK(JavaStringHash("*") == 42);
  CHECK(JavaStringHash("") == 0);
  // "héllo".hashCode() == 103094734 in Java (é is one UTF-16 unit, U+00E9)
  CHECK(JavaStringHash("h\xC3\xA9llo") == 103094734);
  // U+1F600 is a surrogate pair in Java: "\uD83D\uDE00".hashCode() == 1772899
  CHECK(JavaStringHash("\xF0\x9F\x98\x80") == 1772899);
}

TEST_CASE("MaskedCrc32 clears the sign bit of zlib's CRC-32") {
  // crc32("123456789") = 0xCBF43926; masked -> 0x4BF43926
  CHECK(MaskedCrc32("123456789", 9) == 0x4BF43926);
  CHECK(MaskedCrc32("", 0) == 0);
}

TEST_CASE("Properties parse broker.conf syntax and overrides") {
  auto p = Properties::Parse("# comment\n brokerName = broker-a \n!x\nlistenPort=10911\r\nflag:true\n");
  REQUIRE(p.ok());
  CHECK(p->GetString("brokerName", "") == "broker-a");
  CHECK(p->GetInt("listenPort", 0).value() == 10911);
  CHECK(p->GetBool("flag", false).value());
  CHECK(p->GetInt("missing", 7).value() == 7);
  p->Set("bad", "12x");
  CHECK_FALSE(p->GetInt("bad", 0).ok());
  CHECK(p->SetFromArg("listenPort=1").ok());
  CHECK(p->GetInt("listenPort", 0).value() == 1);
  CHECK_FALSE(p->SetFromArg("novalue").ok());
}

TEST_CASE("Status carries the response code and remark") {
  Status s = Status::Error(ResponseCode::kTopicNotExist, "no route");
  CHECK_FALSE(s.ok());
  CHECK(s.ToString() == "TOPIC_NOT_EXIST(17): no route");
  Result<int> r = s;
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == ResponseCode::kTopicNotExist);
  Result<int> v = 5;
  CHECK(*v == 5);
}
