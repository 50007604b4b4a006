// Committed consumer offsets (spec 7.7), one table per shard: each (topic, queueId) belongs to
// ShardOf(topic, queueId), and only that shard commits or reads its offsets, so a table is never
// touched by two threads. config/consumerOffset.json holds all shards' entries in one file:
// {"offsetTable":{"<topic>@<group>":{"<queueId>":<offset>,...},...}}; each shard exports a copy
// (on its own thread) for the writer and imports its part of a decoded file at start-up.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace mq::broker {

constexpr size_t kMaxOffsetKeys = 1u << 20;          // topic@group entries read from the file
constexpr size_t kMaxOffsetQueuesPerKey = 1u << 16;  // queue ids per entry

// "topic@group" -> queueId -> offset. Ordered so encoded files are stable.
using OffsetMap = std::map<std::string, std::map<int32_t, int64_t>, std::less<>>;

std::string OffsetKey(std::string_view topic, std::string_view group);  // "topic@group"

class ConsumerOffsetTable {
 public:
  void Commit(std::string_view topic, std::string_view group, int32_t queue_id, int64_t offset);
  // nullopt when the group never committed on that queue (QUERY_CONSUMER_OFFSET answers 22).
  std::optional<int64_t> Query(std::string_view topic, std::string_view group, int32_t queue_id) const;
  // All queues of (topic, group) held by this shard.
  std::map<int32_t, int64_t> QueryAll(std::string_view topic, std::string_view group) const;
  // Topics the group has offsets for here, and groups with offsets on a topic.
  std::vector<std::string> TopicsOfGroup(std::string_view group) const;
  std::vector<std::string> GroupsOfTopic(std::string_view topic) const;
  // Number of topic@group entries removed.
  size_t RemoveGroup(std::string_view group);
  size_t RemoveTopic(std::string_view topic);
  size_t RemoveTopicGroup(std::string_view topic, std::string_view group);

  size_t size() const { return table_.size(); }
  OffsetMap Export() const;
  void Import(const OffsetMap& entries);  // merges; entries win

  // One file text from every shard's export (entries for the same key are merged).
  static std::string Encode(std::span<const OffsetMap> parts);
  // Parses a file (Java's unquoted integer keys accepted) and splits each queue's offset into
  // part shard_of(topic, queueId) of `shard_count`. Keys without '@' are skipped.
  using ShardOf = std::function<uint32_t(std::string_view topic, int32_t queue_id)>;
  static Result<std::vector<OffsetMap>> Decode(std::string_view text, uint32_t shard_count, const ShardOf& shard_of);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::map<int32_t, int64_t>, Hash, std::equal_to<>> table_;
};

}  // namespace mq::broker
