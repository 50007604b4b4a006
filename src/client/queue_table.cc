#include "client/queue_table.h"

#include <cctype>
#include <charconv>

#include "remoting/fastjson.h"

namespace mq::client {
namespace {

// Bounds what one table may hold: a topic has at most a few thousand queues per broker.
constexpr size_t kMaxTableEntries = 1 << 20;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Index just past the '}' matching the '{' at `from` (strings and escapes skipped); npos if none.
size_t ObjectEnd(std::string_view s, size_t from) {
  bool in_str = false;
  int depth = 0;
  for (size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (in_str) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_str = false;
      }
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

Status Malformed(std::string_view what) { return Status::SystemError("malformed queue table: " + std::string(what)); }

}  // namespace

Result<std::map<MessageQueue, int64_t>> ParseQueueOffsetTable(std::string_view body, std::string_view member) {
  std::map<MessageQueue, int64_t> out;
  const std::string quoted = "\"" + std::string(member) + "\"";
  size_t pos = body.find(quoted);
  if (pos == std::string_view::npos) return out;
  pos += quoted.size();
  auto skip = [&] {
    while (pos < body.size() && IsSpace(body[pos])) ++pos;
  };
  skip();
  if (pos >= body.size() || body[pos] != ':') return Malformed("no ':' after the table name");
  ++pos;
  skip();
  if (body.compare(pos, 4, "null") == 0) return out;
  if (pos >= body.size() || body[pos] != '{') return Malformed("the table is not an object");
  ++pos;
  for (;;) {
    skip();
    if (pos >= body.size()) return Malformed("unterminated table");
    if (body[pos] == '}') return out;
    if (body[pos] == ',') {
      ++pos;
      continue;
    }
    if (body[pos] != '{') return Malformed("a key is not a MessageQueue object");
    const size_t key_end = ObjectEnd(body, pos);
    if (key_end == std::string_view::npos) return Malformed("unterminated key");
    rapidjson::Document key;
    if (!remoting::ParseFastjson(body.substr(pos, key_end - pos), key).ok() || !key.IsObject()) {
      return Malformed("unparsable key");
    }
    auto topic = remoting::GetStringMember(key, "topic", "");
    auto broker = remoting::GetStringMember(key, "brokerName", "");
    auto qid = remoting::GetInt32Member(key, "queueId", 0);
    if (!topic.ok() || !broker.ok() || !qid.ok() || topic->empty()) return Malformed("key without topic");
    pos = key_end;
    skip();
    if (pos >= body.size() || body[pos] != ':') return Malformed("no ':' after a key");
    ++pos;
    skip();
    const size_t num_start = pos;
    if (pos < body.size() && body[pos] == '-') ++pos;
    while (pos < body.size() && std::isdigit(static_cast<unsigned char>(body[pos])) != 0) ++pos;
    const std::string_view digits = body.substr(num_start, pos - num_start);
    if (digits.empty() || digits == "-") return Malformed("offset is not an integer");
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return Malformed("offset out of range");
    if (out.size() >= kMaxTableEntries) return Malformed("too many entries");
    out[MessageQueue{topic.value(), broker.value(), qid.value()}] = value;
  }
}

void AppendQueueKey(std::string& out, const MessageQueue& mq) {
  out += "{\"brokerName\":";
  remoting::AppendJsonString(out, mq.broker_name);
  out += ",\"queueId\":" + std::to_string(mq.queue_id) + ",\"topic\":";
  remoting::AppendJsonString(out, mq.topic);
  out += '}';
}

std::string EncodeQueueOffsetTable(const std::map<MessageQueue, int64_t>& table) {
  std::string out = "{\"offsetTable\":{";
  bool first = true;
  for (const auto& [mq, offset] : table) {
    if (!first) out += ',';
    first = false;
    AppendQueueKey(out, mq);
    out += ':' + std::to_string(offset);
  }
  out += "}}";
  return out;
}

std::string EncodeRunningInfo(const RunningInfo& info) {
  std::string out = "{\"mqTable\":{";
  bool first = true;
  for (const auto& [mq, q] : info.queues) {
    if (!first) out += ',';
    first = false;
    AppendQueueKey(out, mq);
    out += ":{\"cachedMsgCount\":" + std::to_string(q.cached_count) +
           ",\"cachedMsgMaxOffset\":" + std::to_string(q.cached_max_offset) +
           ",\"cachedMsgMinOffset\":" + std::to_string(q.cached_min_offset) +
           ",\"cachedMsgSizeInMiB\":0,\"commitOffset\":" + std::to_string(q.commit_offset) +
           ",\"droped\":" + (q.dropped ? "true" : "false") +
           ",\"lastConsumeTimestamp\":" + std::to_string(q.last_consume_ms) +
           ",\"lastLockTimestamp\":" + std::to_string(q.last_lock_ms) +
           ",\"lastPullTimestamp\":" + std::to_string(q.last_pull_ms) + ",\"locked\":" +
           (q.locked ? "true" : "false") +
           ",\"transactionMsgCount\":0,\"transactionMsgMaxOffset\":0,\"transactionMsgMinOffset\":0,"
           "\"tryUnlockTimes\":0}";
  }
  out += "},\"properties\":{";
  first = true;
  for (const auto& [k, v] : info.properties) {
    if (!first) out += ',';
    first = false;
    remoting::AppendJsonString(out, k);
    out += ':';
    remoting::AppendJsonString(out, v);
  }
  out += "},\"statusTable\":{";
  first = true;
  for (const auto& s : info.subscriptions) {
    if (!first) out += ',';
    first = false;
    remoting::AppendJsonString(out, s.topic);
    out += ":{\"consumeFailedMsgs\":0,\"consumeFailedTPS\":0.0,\"consumeOKTPS\":0.0,\"consumeRT\":0.0,"
           "\"pullRT\":0.0,\"pullTPS\":0.0}";
  }
  out += "},\"subscriptionSet\":[";
  first = true;
  for (const auto& s : info.subscriptions) {
    if (!first) out += ',';
    first = false;
    AppendSubscriptionJson(out, s);
  }
  out += "]}";
  return out;
}

}  // namespace mq::client
