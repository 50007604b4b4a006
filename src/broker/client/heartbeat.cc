#include "broker/client/heartbeat.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <rapidjson/document.h>

#include "base/hash.h"
#include "remoting/fastjson.h"

namespace mq::broker {
namespace {

using remoting::AppendJsonString;
using remoting::FindMember;

constexpr std::array<const char*, 2> kConsumeTypeNames = {"CONSUME_ACTIVELY", "CONSUME_PASSIVELY"};
constexpr std::array<const char*, 2> kMessageModelNames = {"BROADCASTING", "CLUSTERING"};
constexpr std::array<const char*, 6> kConsumeFromWhereNames = {
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",  "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP"};

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A Java enum given by name (any case: Go upper-cases, others write it as is) or by ordinal, as a
// JSON number (C++) or a numeric string. Absent or null -> fallback.
template <typename E, size_t N>
Result<E> GetEnumMember(const rapidjson::Value& obj, std::string_view name,
                        const std::array<const char*, N>& names, E fallback) {
  const rapidjson::Value* v = FindMember(obj, name);
  if (v == nullptr || v->IsNull()) return fallback;
  auto bad = [&](std::string_view what) {
    return Status::SystemError("heartbeat member \"" + std::string(name) + "\" has unknown value " +
                               std::string(what));
  };
  int64_t ordinal = -1;
  if (v->IsInt64()) {
    ordinal = v->GetInt64();
  } else if (v->IsString()) {
    std::string_view text(v->GetString(), v->GetStringLength());
    for (size_t i = 0; i < N; ++i) {
      if (EqualsIgnoreCase(text, names[i])) return static_cast<E>(i);
    }
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ordinal);
    if (ec != std::errc() || ptr != text.data() + text.size()) return bad(text.substr(0, 64));
  } else {
    return bad("(not a name or number)");
  }
  if (ordinal < 0 || ordinal >= static_cast<int64_t>(N)) return bad(std::to_string(ordinal));
  return static_cast<E>(ordinal);
}

void AddTag(SubscriptionData& sub, std::string_view tag) {
  if (std::find(sub.tags.begin(), sub.tags.end(), tag) != sub.tags.end()) return;
  sub.tags.emplace_back(tag);
  const int32_t code = JavaStringHash(tag);
  if (std::find(sub.codes.begin(), sub.codes.end(), code) == sub.codes.end()) sub.codes.push_back(code);
}

// One SubscriptionData object of a heartbeat (or CHECK_CLIENT_CONFIG). The expression is re-parsed
// from subString; tagsSet is only the fallback when subString is absent or yields nothing usable.
Result<SubscriptionData> ParseSubscriptionObject(const rapidjson::Value& obj) {
  if (!obj.IsObject()) return Status::SystemError("subscription data is not an object");
  auto topic = remoting::GetStringMember(obj, "topic", "");
  if (!topic.ok()) return topic.status();
  if (topic->empty()) return Status::SystemError("subscription data without a topic");
  auto type = remoting::GetStringMember(obj, "expressionType", kExpressionTypeTag);
  if (!type.ok()) return type.status();
  auto version = remoting::GetInt64Member(obj, "subVersion", 0);
  if (!version.ok()) return version.status();
  auto class_filter = remoting::GetBoolMember(obj, "classFilterMode", false);
  if (!class_filter.ok()) return class_filter.status();

  const rapidjson::Value* sub_string = FindMember(obj, "subString");
  const bool has_sub_string = sub_string != nullptr && sub_string->IsString();
  std::string_view expression =
      has_sub_string ? std::string_view(sub_string->GetString(), sub_string->GetStringLength()) : "*";
  auto parsed = ParseSubscription(*topic, expression, *type);
  if (!parsed.ok() || !has_sub_string) {
    const rapidjson::Value* tags = FindMember(obj, "tagsSet");
    SubscriptionData fallback;
    fallback.topic = *topic;
    fallback.expression_type = type->empty() ? std::string(kExpressionTypeTag) : *type;
    if (tags != nullptr && tags->IsArray() && fallback.is_tag_type()) {
      if (tags->Size() > kMaxTagsPerSubscription) return Status::SystemError("too many tags in a subscription");
      for (const auto& t : tags->GetArray()) {
        if (!t.IsString()) continue;
        std::string_view tag = Trim(std::string_view(t.GetString(), t.GetStringLength()));
        if (!tag.empty() && tag != kSubscribeAll) AddTag(fallback, tag);
      }
    }
    if (!fallback.tags.empty()) {
      std::string joined;
      for (const auto& t : fallback.tags) joined += (joined.empty() ? "" : " || ") + t;
      fallback.sub_string = has_sub_string ? std::string(expression) : joined;
      parsed = std::move(fallback);
    } else if (!parsed.ok()) {
      return parsed.status();
    }
  }
  parsed->sub_version = *version;
  parsed->class_filter_mode = *class_filter;
  return parsed;
}

Result<ConsumerData> ParseConsumerData(const rapidjson::Value& obj) {
  if (!obj.IsObject()) return Status::SystemError("consumer data is not an object");
  ConsumerData out;
  auto group = remoting::GetStringMember(obj, "groupName", "");
  if (!group.ok()) return group.status();
  if (group->empty()) return Status::SystemError("consumer data without a groupName");
  out.group = std::move(group).value();
  auto type = GetEnumMember(obj, "consumeType", kConsumeTypeNames, ConsumeType::kPassively);
  if (!type.ok()) return type.status();
  auto model = GetEnumMember(obj, "messageModel", kMessageModelNames, MessageModel::kClustering);
  if (!model.ok()) return model.status();
  auto from = GetEnumMember(obj, "consumeFromWhere", kConsumeFromWhereNames, ConsumeFromWhere::kLastOffset);
  if (!from.ok()) return from.status();
  auto unit = remoting::GetBoolMember(obj, "unitMode", false);
  if (!unit.ok()) return unit.status();
  out.consume_type = *type;
  out.message_model = *model;
  out.consume_from_where = *from;
  out.unit_mode = *unit;
  const rapidjson::Value* subs = FindMember(obj, "subscriptionDataSet");
  if (subs != nullptr && subs->IsArray()) {
    if (subs->Size() > kMaxSubscriptionsPerConsumer) return Status::SystemError("too many subscriptions");
    for (const auto& s : subs->GetArray()) {
      auto sub = ParseSubscriptionObject(s);
      if (!sub.ok()) return sub.status();
      // Two entries for one topic: keep the newer, as the subscription table would.
      auto same = std::find_if(out.subscriptions.begin(), out.subscriptions.end(),
                               [&](const SubscriptionData& d) { return d.topic == sub->topic; });
      if (same == out.subscriptions.end()) {
        out.subscriptions.push_back(std::move(sub).value());
      } else if (sub->sub_version > same->sub_version) {
        *same = std::move(sub).value();
      }
    }
  }
  return out;
}

void AppendQuotedList(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, items[i]);
  }
  out += ']';
}

void AppendConnectionSet(std::string& out, const std::vector<ClientConnectionInfo>& connections) {
  out += "\"connectionSet\":[";
  for (size_t i = 0; i < connections.size(); ++i) {
    const auto& c = connections[i];
    if (i) out += ',';
    out += "{\"clientAddr\":";
    AppendJsonString(out, c.client_addr);
    out += ",\"clientId\":";
    AppendJsonString(out, c.client_id);
    out += ",\"language\":";
    AppendJsonString(out, c.language);
    out += ",\"version\":" + std::to_string(c.version) + "}";
  }
  out += ']';
}

}  // namespace

const char* ConsumeTypeName(ConsumeType v) { return kConsumeTypeNames[static_cast<size_t>(v)]; }
const char* MessageModelName(MessageModel v) { return kMessageModelNames[static_cast<size_t>(v)]; }
const char* ConsumeFromWhereName(ConsumeFromWhere v) { return kConsumeFromWhereNames[static_cast<size_t>(v)]; }

Result<SubscriptionData> ParseSubscription(std::string_view topic, std::string_view expression,
                                           std::string_view expression_type) {
  SubscriptionData sub;
  sub.topic = std::string(topic);
  if (!expression_type.empty() && expression_type != kExpressionTypeTag) {
    // Not evaluated here: the pull path and CHECK_CLIENT_CONFIG refuse non-TAG filtering, the way
    // a reference broker with property filtering off does, but a heartbeat carrying one is valid.
    if (Trim(expression).empty()) {
      return Status(ResponseCode::kSubscriptionParseFailed,
                    "empty " + std::string(expression_type.substr(0, 64)) + " expression");
    }
    sub.expression_type = EqualsIgnoreCase(expression_type, kExpressionTypeSql92)
                              ? std::string(kExpressionTypeSql92)
                              : std::string(expression_type.substr(0, 64));
    sub.sub_string = std::string(expression);
    return sub;
  }
  const std::string_view whole = Trim(expression);
  if (whole.empty() || whole == kSubscribeAll) {
    sub.sub_string = std::string(kSubscribeAll);
    return sub;
  }
  sub.sub_string = std::string(expression);
  std::string_view rest = whole;
  while (true) {
    const size_t bar = rest.find("||");
    std::string_view tag = Trim(rest.substr(0, bar));
    if (!tag.empty()) {
      if (sub.tags.size() >= kMaxTagsPerSubscription) {
        return Status(ResponseCode::kSubscriptionParseFailed, "too many tags in the expression");
      }
      AddTag(sub, tag);
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  if (sub.tags.empty()) {
    return Status(ResponseCode::kSubscriptionParseFailed,
                  "tag expression has no tag: " + std::string(expression.substr(0, 128)));
  }
  return sub;
}

bool MatchesTagsCode(const SubscriptionData& sub, int64_t tags_code) {
  if (sub.class_filter_mode || !sub.is_tag_type() || sub.tags.empty()) return true;
  const auto code = static_cast<int32_t>(tags_code);  // the store keeps the int hash sign-extended
  return std::find(sub.codes.begin(), sub.codes.end(), code) != sub.codes.end();
}

Result<HeartbeatData> ParseHeartbeat(std::string_view body) {
  rapidjson::Document doc;
  if (auto st = remoting::ParseFastjson(body, doc); !st.ok()) return st;
  if (!doc.IsObject()) return Status::SystemError("heartbeat body is not a JSON object");
  HeartbeatData out;
  auto id = remoting::GetStringMember(doc, "clientID", "");
  if (!id.ok()) return id.status();
  if (id->empty()) return Status::SystemError("heartbeat without clientID");
  out.client_id = std::move(id).value();

  if (const auto* producers = FindMember(doc, "producerDataSet"); producers && producers->IsArray()) {
    if (producers->Size() > kMaxProducersPerHeartbeat) return Status::SystemError("too many producer groups");
    for (const auto& p : producers->GetArray()) {
      auto group = remoting::GetStringMember(p, "groupName", "");
      if (!group.ok()) return group.status();
      if (group->empty()) continue;
      if (std::find(out.producer_groups.begin(), out.producer_groups.end(), *group) == out.producer_groups.end()) {
        out.producer_groups.push_back(std::move(group).value());
      }
    }
  }
  if (const auto* consumers = FindMember(doc, "consumerDataSet"); consumers && consumers->IsArray()) {
    if (consumers->Size() > kMaxConsumersPerHeartbeat) return Status::SystemError("too many consumer groups");
    for (const auto& c : consumers->GetArray()) {
      auto data = ParseConsumerData(c);
      if (!data.ok()) return data.status();
      out.consumers.push_back(std::move(data).value());
    }
  }
  return out;
}

Result<CheckClientConfigBody> ParseCheckClientConfig(std::string_view body) {
  rapidjson::Document doc;
  if (auto st = remoting::ParseFastjson(body, doc); !st.ok()) return st;
  CheckClientConfigBody out;
  auto id = remoting::GetStringMember(doc, "clientId", "");
  if (!id.ok()) return id.status();
  auto group = remoting::GetStringMember(doc, "group", "");
  if (!group.ok()) return group.status();
  const rapidjson::Value* sub = FindMember(doc, "subscriptionData");
  if (sub == nullptr || !sub->IsObject()) return Status::SystemError("CHECK_CLIENT_CONFIG without subscriptionData");
  auto parsed = ParseSubscriptionObject(*sub);
  if (!parsed.ok()) return parsed.status();
  out.client_id = std::move(id).value();
  out.group = std::move(group).value();
  out.subscription = std::move(parsed).value();
  return out;
}

void AppendSubscriptionJson(std::string& out, const SubscriptionData& sub) {
  out += "{\"classFilterMode\":";
  out += sub.class_filter_mode ? "true" : "false";
  out += ",\"codeSet\":[";
  for (size_t i = 0; i < sub.codes.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(sub.codes[i]);
  }
  out += "],\"expressionType\":";
  AppendJsonString(out, sub.expression_type);
  out += ",\"subString\":";
  AppendJsonString(out, sub.sub_string);
  out += ",\"subVersion\":" + std::to_string(sub.sub_version);
  out += ",\"tagsSet\":";
  AppendQuotedList(out, sub.tags);
  out += ",\"topic\":";
  AppendJsonString(out, sub.topic);
  out += '}';
}

std::string EncodeConsumerIdList(const std::vector<std::string>& client_ids) {
  std::string out = "{\"consumerIdList\":";
  AppendQuotedList(out, client_ids);
  out += '}';
  return out;
}

std::string EncodeConsumerConnection(const std::vector<ClientConnectionInfo>& connections,
                                     ConsumeType consume_type, MessageModel message_model,
                                     ConsumeFromWhere consume_from_where,
                                     const std::map<std::string, SubscriptionData>& subscriptions) {
  std::string out = "{";
  AppendConnectionSet(out, connections);
  out += ",\"consumeFromWhere\":\"";
  out += ConsumeFromWhereName(consume_from_where);
  out += "\",\"consumeType\":\"";
  out += ConsumeTypeName(consume_type);
  out += "\",\"messageModel\":\"";
  out += MessageModelName(message_model);
  out += "\",\"subscriptionTable\":{";
  bool first = true;
  for (const auto& [topic, sub] : subscriptions) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, topic);
    out += ':';
    AppendSubscriptionJson(out, sub);
  }
  out += "}}";
  return out;
}

std::string EncodeProducerConnection(const std::vector<ClientConnectionInfo>& connections) {
  std::string out = "{";
  AppendConnectionSet(out, connections);
  out += '}';
  return out;
}

}  // namespace mq::broker
