// Client registration bodies (spec 2.4): the HEART_BEAT body, subscriptions, tag expressions and
// the JSON the broker writes about consumers. Pure functions over bytes, no shard affinity.
//
// Parsing is lenient the way every real client needs it: enums as names or ordinals (C++), numbers
// as strings (C++ subVersion), members missing (C++ omits tagsSet, unitMode, expressionType). Tag
// hash codes are always recomputed with JavaStringHash: clients send garbage there (C++ atoi, Go
// strings). Every count read off the wire is bounded before anything grows.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace mq::broker {

enum class ConsumeType : uint8_t { kActively = 0, kPassively = 1 };
enum class MessageModel : uint8_t { kBroadcasting = 0, kClustering = 1 };
enum class ConsumeFromWhere : uint8_t {
  kLastOffset = 0,
  kLastOffsetAndFromMinWhenBootFirst = 1,
  kMinOffset = 2,
  kMaxOffset = 3,
  kFirstOffset = 4,
  kTimestamp = 5,
};

// Java enum names ("CONSUME_PASSIVELY", "CLUSTERING", "CONSUME_FROM_LAST_OFFSET").
const char* ConsumeTypeName(ConsumeType v);
const char* MessageModelName(MessageModel v);
const char* ConsumeFromWhereName(ConsumeFromWhere v);

inline constexpr std::string_view kExpressionTypeTag = "TAG";
inline constexpr std::string_view kExpressionTypeSql92 = "SQL92";
inline constexpr std::string_view kSubscribeAll = "*";

// Bounds on what one body may carry; far above any real client.
inline constexpr size_t kMaxTagsPerSubscription = 1024;
inline constexpr size_t kMaxSubscriptionsPerConsumer = 4096;
inline constexpr size_t kMaxConsumersPerHeartbeat = 1024;
inline constexpr size_t kMaxProducersPerHeartbeat = 1024;

struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";         // as the client wrote it ("*", "TagA || TagB", SQL92 text)
  std::vector<std::string> tags;        // trimmed, unique, in expression order; empty for "*"
  std::vector<int32_t> codes;           // JavaStringHash of each tag (unique), recomputed by mq
  int64_t sub_version = 0;              // client-side creation time (ms; Go sends ns)
  std::string expression_type = "TAG";  // "TAG" or "SQL92"
  bool class_filter_mode = false;       // legacy filter-server mode: matches everything here

  bool is_tag_type() const { return expression_type == kExpressionTypeTag; }
  bool subscribes_all() const { return is_tag_type() && tags.empty(); }
  bool operator==(const SubscriptionData&) const = default;
};

// Builds a subscription from a client's expression (heartbeat subString or PULL `subscription`).
// TAG (or empty type): "", "*" -> all; "A || B" -> tags A, B (each trimmed, empties dropped); an
// expression that yields no tag ("||", "  ") -> SUBSCRIPTION_PARSE_FAILED. Other types ("SQL92")
// are kept verbatim (mq cannot evaluate them yet; the pull path and CHECK_CLIENT_CONFIG must refuse
// them); only an empty expression fails.
Result<SubscriptionData> ParseSubscription(std::string_view topic, std::string_view expression,
                                           std::string_view expression_type);

// Broker-side tag filter of one consume-queue entry: "*" and classFilterMode match everything; a
// TAG subscription matches when (int32)tags_code is one of its codes. Non-TAG types match (their
// filtering, if any, happens elsewhere).
bool MatchesTagsCode(const SubscriptionData& sub, int64_t tags_code);

struct ConsumerData {
  std::string group;
  ConsumeType consume_type = ConsumeType::kPassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kLastOffset;
  bool unit_mode = false;
  std::vector<SubscriptionData> subscriptions;
};

struct HeartbeatData {
  std::string client_id;
  std::vector<std::string> producer_groups;  // in body order, duplicates kept out
  std::vector<ConsumerData> consumers;
};

// Parses a HEART_BEAT body. Malformed JSON, a missing clientID, an unknown enum name or ordinal,
// or a count above the bounds -> SYSTEM_ERROR naming the problem.
Result<HeartbeatData> ParseHeartbeat(std::string_view body);

// CHECK_CLIENT_CONFIG body {"clientId","group","subscriptionData":SubscriptionData}, parsed like a
// heartbeat subscription.
struct CheckClientConfigBody {
  std::string client_id;
  std::string group;
  SubscriptionData subscription;
};
Result<CheckClientConfigBody> ParseCheckClientConfig(std::string_view body);

// fastjson-ordered compact JSON: {"classFilterMode":..,"codeSet":[..],"expressionType":..,
// "subString":..,"subVersion":..,"tagsSet":[..],"topic":..}.
void AppendSubscriptionJson(std::string& out, const SubscriptionData& sub);

// {"consumerIdList":["id",...]} (GET_CONSUMER_LIST_BY_GROUP answer body).
std::string EncodeConsumerIdList(const std::vector<std::string>& client_ids);

// One entry of ConsumerConnection / ProducerConnection connectionSet.
struct ClientConnectionInfo {
  std::string client_id;
  std::string client_addr;
  std::string language;
  int32_t version = 0;
};

// ConsumerConnection (GET_CONSUMER_CONNECTION_LIST body, spec 2.5); subscriptions by topic.
std::string EncodeConsumerConnection(const std::vector<ClientConnectionInfo>& connections,
                                     ConsumeType consume_type, MessageModel message_model,
                                     ConsumeFromWhere consume_from_where,
                                     const std::map<std::string, SubscriptionData>& subscriptions);
// ProducerConnection: {"connectionSet":[...]}.
std::string EncodeProducerConnection(const std::vector<ClientConnectionInfo>& connections);

}  // namespace mq::broker
