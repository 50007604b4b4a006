// Model codecs against bytes written by real RocketMQ 4.9.8 software (fixtures/README.md).
#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "fixture_util.h"
#include "model/batch.h"
#include "model/message_id.h"
#include "model/message_record.h"
#include "model/properties.h"

using namespace mq;
using namespace mq::model;
using namespace mq::model::test;

namespace {

constexpr int64_t kStoreFileBytes = 262144;  // mappedFileSizeCommitLog of the fixture store

std::string JsonString(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "";
  return v[key].GetString();
}

const rapidjson::Value* ExtFields(const rapidjson::Value& frame) {
  if (!frame.HasMember("header") || !frame["header"].IsObject()) return nullptr;
  const auto& h = frame["header"];
  if (!h.HasMember("extFields") || !h["extFields"].IsObject()) return nullptr;
  return &h["extFields"];
}

void CheckReencodes(const RecordView& view) {
  std::string again;
  EncodeRecord(view.ToRecord(), again);
  CHECK(again == std::string_view(reinterpret_cast<const char*>(view.data()), view.size_bytes()));
}

}  // namespace

TEST_CASE("every record of the 4.9.8 store commit log matches manifest.json") {
  rapidjson::Document manifest;
  REQUIRE(LoadJson(FixturePath("store-4.9.8/manifest.json"), manifest));
  REQUIRE(manifest.IsArray());
  const std::vector<std::string> files = {"00000000000000000000", "00000000000000262144"};
  size_t index = 0;
  size_t messages = 0;
  size_t blanks = 0;
  size_t batch_records = 0;
  size_t compressed = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string data = ReadFile(FixturePath("store-4.9.8/store/commitlog/" + files[f]));
    REQUIRE(data.size() == static_cast<size_t>(kStoreFileBytes));
    const int64_t file_start = static_cast<int64_t>(f) * kStoreFileBytes;
    size_t pos = 0;
    while (pos < data.size()) {
      const uint8_t* p = Bytes(data) + pos;
      const RecordKind kind = PeekRecordKind(p, data.size() - pos);
      if (kind == RecordKind::kEnd) break;
      REQUIRE(index < manifest.Size());
      const auto& m = manifest[static_cast<rapidjson::SizeType>(index)];
      CAPTURE(index);
      CHECK(m["physicalOffset"].GetInt64() == file_start + static_cast<int64_t>(pos));
      if (kind == RecordKind::kBlank) {
        REQUIRE(m.HasMember("blank"));
        CHECK(IsBlankMarker(p, data.size() - pos));
        CHECK(static_cast<int64_t>(LoadBe32(p)) == m["size"].GetInt64());
        CHECK(pos + LoadBe32(p) == data.size());  // maxBlank runs to the end of the file
        ++blanks;
        ++index;
        break;
      }
      REQUIRE(kind == RecordKind::kMessage);
      auto view = RecordView::Parse(p, data.size() - pos, true);
      REQUIRE(view.ok());
      CHECK(m["bodyCRCok"].GetBool());
      CHECK(view->topic() == m["topic"].GetString());
      CHECK(view->queue_id() == m["queueId"].GetInt());
      CHECK(view->queue_offset() == m["queueOffset"].GetInt64());
      CHECK(view->physical_offset() == file_start + static_cast<int64_t>(pos));
      CHECK(static_cast<int64_t>(view->size_bytes()) == m["size"].GetInt64());
      CHECK(view->sys_flag() == m["sysFlag"].GetInt());
      CHECK(view->reconsume_times() == m["reconsumeTimes"].GetInt());
      // The manifest describes the body as the application sees it: compressed bodies inflated.
      std::string body(view->body());
      if ((view->sys_flag() & sysflag::kCompressed) != 0) {
        std::string inflated;
        REQUIRE(Inflate(view->body(), static_cast<size_t>(m["bodyLength"].GetInt64()), inflated));
        CHECK((view->sys_flag() & sysflag::kCompressionTypeMask) == sysflag::kCompressionZlib);
        body = std::move(inflated);
        ++compressed;
      }
      CHECK(static_cast<int64_t>(body.size()) == m["bodyLength"].GetInt64());
      CHECK(Sha1Hex(body) == m["bodySha1"].GetString());
      const auto props = MessageProperties::Parse(view->properties());
      CHECK(props.Get(kTags).value_or("") == m["tags"].GetString());
      CHECK(props.Get(kKeys).value_or("") == m["keys"].GetString());
      CHECK(props.Get(kUniqKey).value_or("") == m["uniqKey"].GetString());
      CHECK(props.Get(kCluster) == "FixtureCluster");  // 4.9.8 adds CLUSTER to every stored message
      CHECK(FindProperty(view->properties(), kTags) == props.Get(kTags));
      CHECK(TagsCodeOfProperties(view->properties()) == TagsCode(m["tags"].GetString()));
      CHECK(view->store_host().ToString().find(':') != std::string::npos);
      CHECK_FALSE(view->store_host().v6);
      if (std::string_view(m["topic"].GetString()).starts_with("acc_batch")) {
        // Batch-level properties (header + CLUSTER) were appended with a \x02 separator.
        CHECK(view->properties().ends_with("\x02" "CLUSTER\x01" "FixtureCluster\x02WAIT\x01true"));
        ++batch_records;
      }
      // offsetMsgId derived from the record decodes back to its store host and offset.
      const std::string id = MakeOffsetMsgId(view->store_host(), view->physical_offset());
      auto decoded_id = DecodeOffsetMsgId(id);
      REQUIRE(decoded_id.ok());
      CHECK(decoded_id->store_host == view->store_host());
      CHECK(decoded_id->commit_log_offset == view->physical_offset());
      // Re-encoding the decoded record reproduces the stored bytes exactly.
      CheckReencodes(*view);
      // Single sends re-encode identically once parsed (no duplicates, no trailing \x02). Batch records
      // do not: the reference appends the batch-level WAIT although the entry already carries one.
      if (std::string_view(m["topic"].GetString()).starts_with("acc_batch")) {
        CHECK(props.Encode().size() < view->properties().size());
      } else {
        CHECK(props.Encode() == view->properties());
      }
      pos += view->size_bytes();
      ++messages;
      ++index;
    }
  }
  CHECK(index == manifest.Size());
  CHECK(messages == 561);
  CHECK(blanks == 1);
  CHECK(batch_records == 50);
  CHECK(compressed == 4);
}

TEST_CASE("bodies of real PULL / QUERY / VIEW responses decode as back-to-back records") {
  rapidjson::Document index;
  REQUIRE(LoadJson(FixturePath("java-4.9.8/index.json"), index));
  const auto& frames = index["frames"];
  size_t bodies = 0;
  size_t records = 0;
  for (const auto& f : frames.GetArray()) {
    if (JsonString(f, "body_kind") != "stored-messages") continue;
    const std::string file = JsonString(f, "file");
    CAPTURE(file);
    const std::string bin = ReadFile(FixturePath("java-4.9.8/" + file));
    const Frame frame = SplitFrame(bin);
    REQUIRE(frame.ok);
    auto seq = ParseRecordSequence(Bytes(frame.body), frame.body.size(), true);
    REQUIRE(seq.ok());
    REQUIRE_FALSE(seq->empty());
    ++bodies;
    records += seq->size();
    // Find the request this response answers.
    const std::string request_file = JsonString(f, "request_file");
    const rapidjson::Value* req = nullptr;
    for (const auto& r : frames.GetArray()) {
      if (JsonString(r, "file") == request_file) req = ExtFields(r);
    }
    REQUIRE(req != nullptr);
    const int code = f["request_code"].GetInt();
    for (size_t i = 0; i < seq->size(); ++i) {
      const RecordView& v = (*seq)[i];
      CheckReencodes(v);
      CHECK(v.store_host().ToString() == "127.0.0.1:30911");
      if (code == 11) {
        CHECK(v.topic() == JsonString(*req, "topic"));
        CHECK(v.queue_id() == std::stoi(JsonString(*req, "queueId")));
        CHECK(v.queue_offset() == std::stoll(JsonString(*req, "queueOffset")) + static_cast<int64_t>(i));
      } else if (code == 33) {
        CHECK(v.physical_offset() == std::stoll(JsonString(*req, "offset")));
      } else if (code == 12) {
        const std::string keys(FindProperty(v.properties(), kKeys).value_or(""));
        CHECK((" " + keys + " ").find(" " + JsonString(*req, "key") + " ") != std::string::npos);
      }
    }
  }
  CHECK(bodies == 8);
  CHECK(records > 64);
}

TEST_CASE("msgIds in real SEND responses decode; batch msgIds step by the stored record sizes") {
  rapidjson::Document index;
  REQUIRE(LoadJson(FixturePath("java-4.9.8/index.json"), index));
  const auto& frames = index["frames"];
  size_t ids = 0;
  size_t batches_checked = 0;
  for (const auto& f : frames.GetArray()) {
    if (JsonString(f, "kind") != "response") continue;
    const auto* ext = ExtFields(f);
    if (ext == nullptr || !ext->HasMember("msgId")) continue;
    std::vector<OffsetMsgId> decoded;
    std::string all = JsonString(*ext, "msgId");
    size_t start = 0;
    while (start <= all.size()) {
      size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      const std::string id = all.substr(start, comma - start);
      auto d = DecodeOffsetMsgId(id);
      REQUIRE(d.ok());
      CHECK(d->address() == "127.0.0.1:30911");
      CHECK(MakeOffsetMsgId(d->store_host, d->commit_log_offset) == id);
      decoded.push_back(*d);
      ++ids;
      start = comma + 1;
    }
    if (f["request_code"].GetInt() != 320) continue;
    // Rebuild the stored size of each batch entry: 91 + body + topic + properties with the batch-level
    // properties (header "i" + broker CLUSTER=DefaultCluster) appended; consecutive msgIds differ by it.
    const std::string request_file = JsonString(f, "request_file");
    for (const auto& r : frames.GetArray()) {
      if (JsonString(r, "file") != request_file) continue;
      const auto* req = ExtFields(r);
      const std::string bin = ReadFile(FixturePath("java-4.9.8/" + request_file));
      const Frame frame = SplitFrame(bin);
      REQUIRE(frame.ok);
      auto entries = DecodeBatch(Bytes(frame.body), frame.body.size(), kDefaultMaxBatchEntries);
      REQUIRE(entries.ok());
      REQUIRE(entries->size() == decoded.size());
      const std::string batch_props = "CLUSTER\x01" "DefaultCluster\x02" + JsonString(*req, "i");
      const std::string topic = JsonString(*req, "b");
      for (size_t i = 0; i + 1 < decoded.size(); ++i) {
        const auto& e = (*entries)[i];
        const size_t size = layout::RecordSize(0, e.body.size(), topic.size(),
                                               AppendedBatchPropertiesSize(e.properties, batch_props));
        CHECK(decoded[i + 1].commit_log_offset - decoded[i].commit_log_offset == static_cast<int64_t>(size));
      }
      ++batches_checked;
    }
  }
  CHECK(ids > 100);
  CHECK(batches_checked == 2);
}

TEST_CASE("real batch bodies from Java, Go and C++ clients decode and re-encode byte for byte") {
  struct Source {
    std::string dir;
    std::string index;
  };
  const std::vector<Source> sources = {
      {"java-4.9.8", "java-4.9.8/index.json"},
      {"clients/go/producer_batch", "clients/go/producer_batch/index.json"},
      {"clients/cpp/batch_producer", "clients/cpp/batch_producer/index.json"},
      {"clients/cpp/cpp_oneway_batch_tag_orderly", "clients/cpp/cpp_oneway_batch_tag_orderly/index.json"},
  };
  size_t batches = 0;
  size_t entries_total = 0;
  for (const auto& src : sources) {
    rapidjson::Document index;
    REQUIRE(LoadJson(FixturePath(src.index), index));
    const auto& frames = index.IsObject() ? index["frames"] : index;
    for (const auto& f : frames.GetArray()) {
      if (!f.HasMember("header")) continue;
      const auto* ext = ExtFields(f);
      const int code = f["header"]["code"].GetInt();
      const std::string batch_flag = ext != nullptr ? JsonString(*ext, "m") + JsonString(*ext, "batch") : "";
      const bool is_request = !f.HasMember("kind") || JsonString(f, "kind") != "response";
      if (!is_request || !((code == 320) || ((code == 310 || code == 10) && batch_flag == "true"))) continue;
      const std::string file = JsonString(f, "file");
      CAPTURE(file);
      const std::string bin = ReadFile(FixturePath(src.dir + "/" + file));
      const Frame frame = SplitFrame(bin);
      REQUIRE(frame.ok);
      auto entries = DecodeBatch(Bytes(frame.body), frame.body.size(), kDefaultMaxBatchEntries);
      REQUIRE(entries.ok());
      REQUIRE_FALSE(entries->empty());
      std::string again;
      for (const auto& e : *entries) {
        // The Go client sends batch entries with no properties at all (no UNIQ_KEY either).
        const bool go = src.dir.find("/go/") != std::string::npos;
        CHECK(FindProperty(e.properties, kUniqKey).has_value() != go);
        CHECK_FALSE(e.body.empty());
        EncodeBatchEntry(e.flag, e.body, e.properties, again);
      }
      CHECK(again == frame.body);
      // Every truncation of a real batch is either a clean entry boundary or an error.
      for (size_t n = 0; n < frame.body.size(); ++n) {
        std::string prefix(frame.body.substr(0, n));
        auto r = DecodeBatch(Bytes(prefix), n, kDefaultMaxBatchEntries);
        if (r.ok()) {
          size_t sum = 0;
          for (const auto& e : *r) sum += BatchEntryEncodedSize(e.body, e.properties);
          CHECK(sum == n);
        }
      }
      ++batches;
      entries_total += entries->size();
    }
  }
  CHECK(batches == 6);  // Java 320 x2 (JSON + ROCKETMQ header), Go 320, C++ 310+m=true x3
  CHECK(entries_total == 50 + 50 + 10 + 3 + 3 + 2);
}

TEST_CASE("every truncation of real pull bodies fails cleanly") {
  const std::string bin = ReadFile(FixturePath("java-4.9.8/0037-broker2client-resp.bin"));
  const Frame frame = SplitFrame(bin);
  REQUIRE(frame.ok);
  auto full = ParseRecordSequence(Bytes(frame.body), frame.body.size(), true);
  REQUIRE(full.ok());
  const size_t first = (*full)[0].size_bytes();
  // Prefixes across the first two records: only the exact boundaries are valid sequences.
  const size_t limit = first + (*full)[1].size_bytes();
  for (size_t n = 1; n <= limit; ++n) {
    std::unique_ptr<uint8_t[]> prefix(new uint8_t[n]);
    std::memcpy(prefix.get(), frame.body.data(), n);
    CHECK(ParseRecordSequence(prefix.get(), n, true).ok() == (n == first || n == limit));
    CHECK(DecodeRecord(prefix.get(), n, true).ok() == (n >= first));
  }
}
