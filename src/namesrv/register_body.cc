#include "namesrv/register_body.h"

#include <rapidjson/document.h>
#include <zlib.h>

#include <string>

#include "base/bytes.h"
#include "remoting/fastjson.h"

namespace mq::namesrv {
namespace {

// Absent or malformed numbers fall back, as fastjson leaves a bean field at its default.
int64_t MemberInt(const rapidjson::Value& obj, const char* name, int64_t fallback) {
  auto v = remoting::GetInt64Member(obj, name, fallback);
  return v.ok() ? *v : fallback;
}

Result<DataVersion> DataVersionFrom(const rapidjson::Value& v) {
  if (!v.IsObject()) return Status::SystemError("dataVersion is not an object");
  return DataVersion{MemberInt(v, "counter", 0), MemberInt(v, "timestamp", 0)};
}

Result<RegisterBody> FromWrapper(const rapidjson::Value& wrapper) {
  if (!wrapper.IsObject()) return Status::SystemError("topicConfigSerializeWrapper is not an object");
  RegisterBody out;
  auto dv = wrapper.FindMember("dataVersion");
  if (dv != wrapper.MemberEnd()) {
    auto v = DataVersionFrom(dv->value);
    if (!v.ok()) return v.status();
    out.data_version = *v;
  }
  auto table = wrapper.FindMember("topicConfigTable");
  if (table == wrapper.MemberEnd()) return out;
  if (!table->value.IsObject()) return Status::SystemError("topicConfigTable is not an object");
  if (table->value.MemberCount() > kMaxRegisterTopics) return Status::SystemError("too many topics in registration");
  for (auto it = table->value.MemberBegin(); it != table->value.MemberEnd(); ++it) {
    const auto& tc = it->value;
    if (!tc.IsObject()) continue;
    TopicQueueConfig t;
    auto name = tc.FindMember("topicName");
    t.topic = name != tc.MemberEnd() && name->value.IsString() ? name->value.GetString() : it->name.GetString();
    t.read_queue_nums = static_cast<int32_t>(MemberInt(tc, "readQueueNums", 16));
    t.write_queue_nums = static_cast<int32_t>(MemberInt(tc, "writeQueueNums", 16));
    t.perm = static_cast<int32_t>(MemberInt(tc, "perm", 6));
    t.topic_sys_flag = static_cast<int32_t>(MemberInt(tc, "topicSysFlag", 0));
    if (t.topic.empty()) continue;
    out.topics.push_back(std::move(t));
  }
  return out;
}

Result<std::string> Inflate(std::string_view in) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::SystemError("zlib init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::SystemError("register body: bad zlib stream");
    }
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > kMaxRegisterBodyBytes) {
      inflateEnd(&zs);
      return Status::SystemError("register body: inflated size over limit");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::SystemError("register body: truncated zlib stream");
    }
  }
  inflateEnd(&zs);
  return out;
}

// Compressed form: int-length-prefixed DataVersion JSON, topic count, per topic a
// "<name> <read> <write> <perm> <filterType>" text; filter server list ignored.
Result<RegisterBody> DecodeCompressed(std::string_view raw) {
  auto inflated = Inflate(raw);
  if (!inflated.ok()) return inflated.status();
  const std::string& s = *inflated;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t pos = 0;
  auto read_chunk = [&](std::string_view& chunk) -> bool {
    if (s.size() - pos < 4) return false;
    int32_t len = static_cast<int32_t>(LoadBe32(p + pos));
    pos += 4;
    if (len < 0 || static_cast<size_t>(len) > s.size() - pos) return false;
    chunk = std::string_view(s).substr(pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
    return true;
  };
  std::string_view chunk;
  if (!read_chunk(chunk)) return Status::SystemError("register body: truncated data version");
  auto dv = DecodeDataVersion(chunk);
  if (!dv.ok()) return dv.status();
  RegisterBody out;
  out.data_version = *dv;
  if (s.size() - pos < 4) return Status::SystemError("register body: truncated topic count");
  int32_t count = static_cast<int32_t>(LoadBe32(p + pos));
  pos += 4;
  if (count < 0 || static_cast<size_t>(count) > kMaxRegisterTopics) return Status::SystemError("register body: bad topic count");
  for (int32_t i = 0; i < count; ++i) {
    if (!read_chunk(chunk)) return Status::SystemError("register body: truncated topic config");
    std::string text(chunk);
    char name[256];
    int read = 0, write = 0, perm = 0;
    if (text.size() >= 512 || std::sscanf(text.c_str(), "%255s %d %d %d", name, &read, &write, &perm) != 4) {
      return Status::SystemError("register body: bad topic config '" + text.substr(0, 64) + "'");
    }
    out.topics.push_back(TopicQueueConfig{name, read, write, perm, 0});
  }
  return out;
}

}  // namespace

Result<RegisterBody> DecodeRegisterBody(std::string_view body, bool compressed, bool wrapped) {
  if (body.size() > kMaxRegisterBodyBytes) return Status::SystemError("register body too large");
  if (body.empty()) return RegisterBody{};
  if (compressed) return DecodeCompressed(body);
  rapidjson::Document doc;
  auto parsed = remoting::ParseFastjson(body, doc);
  if (!parsed.ok()) return parsed;
  if (!doc.IsObject()) return Status::SystemError("register body is not a JSON object");
  if (!wrapped) return FromWrapper(doc);
  auto wrapper = doc.FindMember("topicConfigSerializeWrapper");
  if (wrapper == doc.MemberEnd()) return RegisterBody{};
  return FromWrapper(wrapper->value);
}

Result<DataVersion> DecodeDataVersion(std::string_view json) {
  rapidjson::Document doc;
  auto parsed = remoting::ParseFastjson(json, doc);
  if (!parsed.ok()) return parsed;
  return DataVersionFrom(doc);
}

std::string EncodeDataVersion(const DataVersion& v) {
  return "{\"counter\":" + std::to_string(v.counter) + ",\"timestamp\":" + std::to_string(v.timestamp_ms) + "}";
}

}  // namespace mq::namesrv
