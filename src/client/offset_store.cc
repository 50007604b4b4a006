#include "client/offset_store.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "client/client_instance.h"
#include "client/protocol.h"
#include "client/queue_table.h"
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

  Status PersistAllSync() override {
    // All requests in flight at once: a dead broker costs one timeout, not one per queue.
    struct Wait {
      std::mutex mu;
      std::condition_variable cv;
      size_t pending = 0;
      Status last;
    };
    auto wait = std::make_shared<Wait>();
    const uint64_t timeout_ms = inst_->config().rpc_timeout_ms;
    for (const auto& [mq, offset] : Snapshot()) {
      const std::string addr = Addr(mq);
      if (addr.empty()) continue;
      {
        std::lock_guard<std::mutex> lock(wait->mu);
        ++wait->pending;
      }
      inst_->InvokeAsync(addr, BuildUpdateConsumerOffset(group_, mq, offset), timeout_ms,
                         [wait](Result<remoting::Command> r) {
                           std::lock_guard<std::mutex> lock(wait->mu);
                           if (!r.ok()) {
                             wait->last = r.status();
                           } else if (r->code != 0) {
                             wait->last = ResponseError(r.value(), "UPDATE_CONSUMER_OFFSET");
                           }
                           if (--wait->pending == 0) wait->cv.notify_all();
                         });
    }
    std::unique_lock<std::mutex> lock(wait->mu);
    if (!wait->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms + 1000), [&] { return wait->pending == 0; })) {
      return Status::SystemError("committing consumer offsets timed out");
    }
    return wait->last;
  }

 private:
  std::string Addr(const MessageQueue& mq) const {
    std::string a = inst_->BrokerAddr(mq.broker_name, true);
    return a.empty() ? inst_->BrokerAddr(mq.broker_name, false) : a;
  }

  std::shared_ptr<ClientInstance> inst_;
  std::string group_;
};

// Java's LocalFileOffsetStore layout (OffsetSerializeWrapper): {"offsetTable":{<queue>:<offset>}}
// with fastjson object keys, so a Java broadcasting consumer with the same client id and ours
// share the file. Like Java's MixAll.string2File: write <path>.tmp, copy the previous content to
// <path>.bak, then rename; reading falls back to the .bak when the file is missing or unreadable.
class LocalOffsetStore final : public OffsetStore {
 public:
  explicit LocalOffsetStore(std::string path) : path_(std::move(path)) {
    if (!Load(path_)) (void)Load(path_ + ".bak");
  }

  Result<int64_t> ReadStored(const MessageQueue& mq) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = stored_.find(mq);
    return it == stored_.end() ? int64_t{-1} : it->second;
  }

  void PersistAll() override {
    std::lock_guard<std::mutex> file_lock(file_mu_);
    std::map<MessageQueue, int64_t> table;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Queues this consumer does not own right now keep what the file said about them.
      for (const auto& [mq, offset] : offsets_) stored_[mq] = offset;
      table = stored_;
    }
    const std::string out = EncodeQueueOffsetTable(table);
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(fs::path(path_).parent_path(), ec);
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << out;
      f.flush();
      if (!f) {
        MQ_LOG_WARN("cannot write consumer offsets to {}", tmp);
        return;
      }
    }
    if (fs::exists(path_, ec)) fs::copy_file(path_, path_ + ".bak", fs::copy_options::overwrite_existing, ec);
    if (ec) MQ_LOG_DEBUG("cannot copy {} to its .bak: {}", path_, ec.message());
    fs::rename(tmp, path_, ec);  // atomic replace: a crash leaves the old or the new file
    if (ec) MQ_LOG_WARN("cannot replace {}: {}", path_, ec.message());
  }

  Status PersistSync(const MessageQueue&) override {
    PersistAll();
    return Status::Ok();
  }

  Status PersistAllSync() override {
    PersistAll();
    return Status::Ok();
  }

 private:
  // True when `path` held a readable table (possibly empty).
  bool Load(const std::string& path) {
    std::ifstream f(path);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    if (text.empty()) return false;
    auto table = ParseQueueOffsetTable(text);
    if (!table.ok()) table = ParseOldLayout(text);
    if (!table.ok()) {
      MQ_LOG_WARN("ignoring unreadable consumer offsets file {}: {}", path, table.status().remark());
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    stored_ = std::move(table.value());
    return true;
  }

  // The layout this library wrote before: {"offsetTable":[{"brokerName":..,"offset":N,...}]}.
  static Result<std::map<MessageQueue, int64_t>> ParseOldLayout(const std::string& text) {
    rapidjson::Document doc;
    Status st = remoting::ParseFastjson(text, doc);
    if (!st.ok()) return st;
    const auto* table = remoting::FindMember(doc, "offsetTable");
    if (table == nullptr || !table->IsArray()) return Status::SystemError("no offsetTable array");
    std::map<MessageQueue, int64_t> out;
    for (const auto& e : table->GetArray()) {
      if (!e.IsObject()) continue;
      auto t = remoting::GetStringMember(e, "topic", "");
      auto b = remoting::GetStringMember(e, "brokerName", "");
      auto q = remoting::GetInt32Member(e, "queueId", 0);
      auto o = remoting::GetInt64Member(e, "offset", -1);
      if (!t.ok() || !b.ok() || !q.ok() || !o.ok() || t->empty()) continue;
      out[MessageQueue{t.value(), b.value(), q.value()}] = o.value();
    }
    return out;
  }

  std::string path_;
  std::mutex file_mu_;                        // one writer of the file at a time
  std::map<MessageQueue, int64_t> stored_;    // what the file holds (guarded by mu_)
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
