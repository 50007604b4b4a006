#include "broker/metadata/consumer_offset_table.h"

#include <charconv>

#include "base/assert.h"
#include "broker/metadata/json_file.h"
#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

// Topic names cannot contain '@' (7.2), so the first '@' separates topic from group.
bool SplitKey(std::string_view key, std::string_view& topic, std::string_view& group) {
  size_t at = key.find('@');
  if (at == std::string_view::npos) return false;
  topic = key.substr(0, at);
  group = key.substr(at + 1);
  return true;
}

// Lenient like fastjson: an integer, an integral double or a decimal string.
std::optional<int64_t> ReadOffset(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsDouble()) {
    double d = v.GetDouble();
    if (d >= -9.2e18 && d <= 9.2e18 && static_cast<double>(static_cast<int64_t>(d)) == d) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (v.IsString()) {
    const char* b = v.GetString();
    const char* e = b + v.GetStringLength();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(b, e, out);
    if (ec == std::errc() && p == e && b != e) return out;
  }
  return std::nullopt;
}

}  // namespace

std::string OffsetKey(std::string_view topic, std::string_view group) {
  std::string key;
  key.reserve(topic.size() + 1 + group.size());
  key.append(topic).append(1, '@').append(group);
  return key;
}

void ConsumerOffsetTable::Commit(std::string_view topic, std::string_view group, int32_t queue_id, int64_t offset) {
  const std::string key = OffsetKey(topic, group);
  auto it = table_.find(key);
  if (it == table_.end()) it = table_.emplace(key, std::map<int32_t, int64_t>{}).first;
  it->second[queue_id] = offset;
}

std::optional<int64_t> ConsumerOffsetTable::Query(std::string_view topic, std::string_view group,
                                                  int32_t queue_id) const {
  auto it = table_.find(OffsetKey(topic, group));
  if (it == table_.end()) return std::nullopt;
  auto q = it->second.find(queue_id);
  if (q == it->second.end()) return std::nullopt;
  return q->second;
}

std::map<int32_t, int64_t> ConsumerOffsetTable::QueryAll(std::string_view topic, std::string_view group) const {
  auto it = table_.find(OffsetKey(topic, group));
  return it == table_.end() ? std::map<int32_t, int64_t>{} : it->second;
}

std::vector<std::string> ConsumerOffsetTable::TopicsOfGroup(std::string_view group) const {
  std::vector<std::string> out;
  for (const auto& [key, queues] : table_) {
    std::string_view t, g;
    if (SplitKey(key, t, g) && g == group) out.emplace_back(t);
  }
  return out;
}

std::vector<std::string> ConsumerOffsetTable::GroupsOfTopic(std::string_view topic) const {
  std::vector<std::string> out;
  for (const auto& [key, queues] : table_) {
    std::string_view t, g;
    if (SplitKey(key, t, g) && t == topic) out.emplace_back(g);
  }
  return out;
}

size_t ConsumerOffsetTable::RemoveGroup(std::string_view group) {
  return std::erase_if(table_, [&](const auto& entry) {
    std::string_view t, g;
    return SplitKey(entry.first, t, g) && g == group;
  });
}

size_t ConsumerOffsetTable::RemoveTopic(std::string_view topic) {
  return std::erase_if(table_, [&](const auto& entry) {
    std::string_view t, g;
    return SplitKey(entry.first, t, g) && t == topic;
  });
}

size_t ConsumerOffsetTable::RemoveTopicGroup(std::string_view topic, std::string_view group) {
  return table_.erase(OffsetKey(topic, group));
}

OffsetMap ConsumerOffsetTable::Export() const {
  OffsetMap out;
  for (const auto& [key, queues] : table_) out.emplace(key, queues);
  return out;
}

void ConsumerOffsetTable::Import(const OffsetMap& entries) {
  for (const auto& [key, queues] : entries) {
    auto& mine = table_[key];
    for (const auto& [qid, offset] : queues) mine[qid] = offset;
  }
}

std::string ConsumerOffsetTable::Encode(std::span<const OffsetMap> parts) {
  const OffsetMap* merged = parts.size() == 1 ? &parts[0] : nullptr;
  OffsetMap all;
  if (merged == nullptr) {
    for (const OffsetMap& part : parts) {
      for (const auto& [key, queues] : part) {
        auto& dst = all[key];
        for (const auto& [qid, offset] : queues) dst[qid] = offset;
      }
    }
    merged = &all;
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("offsetTable");
  w.StartObject();
  for (const auto& [key, queues] : *merged) {
    WriteKey(w, key);
    w.StartObject();
    for (const auto& [qid, offset] : queues) {
      WriteKey(w, std::to_string(qid));
      w.Int64(offset);
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Result<std::vector<OffsetMap>> ConsumerOffsetTable::Decode(std::string_view text, uint32_t shard_count,
                                                           const ShardOf& shard_of) {
  MQ_ASSERT(shard_count > 0);
  rapidjson::Document doc;
  if (Status s = remoting::ParseFastjson(text, doc); !s.ok()) return s;
  if (!doc.IsObject()) return Status::SystemError("consumer offsets: not a JSON object");
  std::vector<OffsetMap> parts(shard_count);
  const rapidjson::Value* table = remoting::FindMember(doc, "offsetTable");
  if (table == nullptr || table->IsNull()) return parts;
  if (!table->IsObject()) return Status::SystemError("consumer offsets: offsetTable is not an object");
  if (table->MemberCount() > kMaxOffsetKeys) return Status::SystemError("consumer offsets: too many entries");
  for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    std::string_view topic, group;
    if (!SplitKey(key, topic, group) || !it->value.IsObject()) continue;
    if (it->value.MemberCount() > kMaxOffsetQueuesPerKey) {
      return Status::SystemError("consumer offsets: too many queues for " + std::string(key));
    }
    for (auto q = it->value.MemberBegin(); q != it->value.MemberEnd(); ++q) {
      const char* b = q->name.GetString();
      const char* e = b + q->name.GetStringLength();
      int32_t queue_id = 0;
      auto [p, ec] = std::from_chars(b, e, queue_id);
      if (ec != std::errc() || p != e || queue_id < 0) {
        return Status::SystemError("consumer offsets: bad queue id '" + std::string(b, e) + "' in " + std::string(key));
      }
      auto offset = ReadOffset(q->value);
      if (!offset) {
        return Status::SystemError("consumer offsets: offset of queue " + std::to_string(queue_id) + " in " +
                                   std::string(key) + " is not an integer");
      }
      const uint32_t shard = shard_of(topic, queue_id);
      MQ_ASSERT(shard < shard_count);
      parts[shard][std::string(key)][queue_id] = *offset;
    }
  }
  return parts;
}

}  // namespace mq::broker
