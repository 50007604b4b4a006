#include "client/offset_store.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "client/client_instance.h"
#include "client/protocol.h"
#include "remoting/fastjson.h"

namespace mq::client {

void OffsetStore::Update(const MessageQueue& mq, int64_t offset, bool increase_only) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = offsets_.emplace(mq, offset);
  if (!inserted && (!increase_only || offset > it->second)) it->second = offset;
}

int64_t OffsetStore::Read(const MessageQueue& mq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = offsets_.find(mq);
  return it == offsets_.end() ? -1 : it->second;
}

void OffsetStore::Remove(const MessageQueue& mq) {
  std::lock_guard<std::mutex> lock(mu_);
  offsets_.erase(mq);
}

std::map<MessageQueue, int64_t> OffsetStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offsets_;
}

namespace {

class RemoteOffsetStore final : public OffsetStore {
 public:
  RemoteOffsetStore(std::shared_ptr<ClientInstance> inst, std::string group)
      : inst_(std::move(inst)), group_(std::move(group)) {}

  Result<int64_t> ReadStored(const MessageQueue& mq) override {
    const std::string addr = Addr(mq);
    if (addr.empty()) return Status::SystemError("no address for broker " + mq.broker_name);
    auto resp = inst_->Invoke(addr, BuildQueryConsumerOffset(group_, mq), inst_->config().rpc_timeout_ms);
    if (!resp.ok()) return resp.status();
    if (resp->code == ToInt(ResponseCode::kQueryNotFound)) return int64_t{-1};
    return ParseOffsetResponse(resp.value());
  }

  void PersistAll() override {
    for (const auto& [mq, offset] : Snapshot()) {
      const std::string addr = Addr(mq);
      if (!addr.empty()) inst_->InvokeOneway(addr, BuildUpdateConsumerOffset(group_, mq, offset));
    }
  }

  Status PersistSync(const MessageQueue& mq) override {
    const int64_t offset = Read(mq);
    if (offset < 0) return Status::Ok();
    const std::string addr = Addr(mq);
    if (addr.empty()) return Status::SystemError("no address for broker " + mq.broker_name);
    auto resp = inst_->Invoke(addr, BuildUpdateConsumerOffset(group_, mq, offset), inst_->config().rpc_timeout_ms);
    if (!resp.ok()) return resp.status();
    if (resp->code != 0) return ResponseError(resp.value(), "UPDATE_CONSUMER_OFFSET");
    return Status::Ok();
  }

 private:
  std::string Addr(const MessageQueue& mq) const {
    std::string a = inst_->BrokerAddr(mq.broker_name, true);
    return a.empty() ? inst_->BrokerAddr(mq.broker_name, false) : a;
  }

  std::shared_ptr<ClientInstance> inst_;
  std::string group_;
};

class LocalOffsetStore final : public OffsetStore {
 public:
  explicit LocalOffsetStore(std::string path) : path_(std::move(path)) { Load(); }

  Result<int64_t> ReadStored(const MessageQueue& mq) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = loaded_.find(mq);
    return it == loaded_.end() ? int64_t{-1} : it->second;
  }

  void PersistAll() override {
    std::string out = "{\"offsetTable\":[";
    bool first = true;
    for (const auto& [mq, offset] : Snapshot()) {
      if (!first) out += ',';
      first = false;
      out += "{\"brokerName\":";
      remoting::AppendJsonString(out, mq.broker_name);
      out += ",\"offset\":" + std::to_string(offset) + ",\"queueId\":" + std::to_string(mq.queue_id) +
             ",\"topic\":";
      remoting::AppendJsonString(out, mq.topic);
      out += '}';
    }
    out += "]}";
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << out;
      if (!f) {
        MQ_LOG_WARN("cannot write consumer offsets to {}", tmp);
        return;
      }
    }
    std::filesystem::rename(tmp, path_, ec);  // atomic replace: a crash leaves the old or the new file
    if (ec) MQ_LOG_WARN("cannot replace {}: {}", path_, ec.message());
  }

  Status PersistSync(const MessageQueue&) override {
    PersistAll();
    return Status::Ok();
  }

 private:
  void Load() {
    std::ifstream f(path_);
    if (!f) return;
    std::stringstream ss;
    ss << f.rdbuf();
    rapidjson::Document doc;
    if (!remoting::ParseFastjson(ss.str(), doc).ok()) return;
    const auto* table = remoting::FindMember(doc, "offsetTable");
    if (table == nullptr || !table->IsArray()) return;
    for (const auto& e : table->GetArray()) {
      MessageQueue mq;
      mq.topic = remoting::GetStringMember(e, "topic", "").ok() ? remoting::GetStringMember(e, "topic", "").value() : "";
      auto b = remoting::GetStringMember(e, "brokerName", "");
      auto q = remoting::GetInt32Member(e, "queueId", 0);
      auto o = remoting::GetInt64Member(e, "offset", -1);
      if (!b.ok() || !q.ok() || !o.ok() || mq.topic.empty()) continue;
      mq.broker_name = b.value();
      mq.queue_id = q.value();
      loaded_[mq] = o.value();
    }
  }

  std::string path_;
  std::map<MessageQueue, int64_t> loaded_;
};

}  // namespace

std::unique_ptr<OffsetStore> MakeRemoteOffsetStore(std::shared_ptr<ClientInstance> inst, std::string group) {
  return std::make_unique<RemoteOffsetStore>(std::move(inst), std::move(group));
}

std::unique_ptr<OffsetStore> MakeLocalOffsetStore(std::string dir, const std::string& client_id,
                                                  const std::string& group) {
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    dir = std::string(home != nullptr ? home : "/tmp") + "/.rocketmq_offsets";
  }
  return std::make_unique<LocalOffsetStore>(dir + "/" + client_id + "/" + group + "/offsets.json");
}

}  // namespace mq::client
