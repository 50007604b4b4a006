// Consumer offsets (spec 7.7). Remote: the broker keeps them (clustering): read with
// QUERY_CONSUMER_OFFSET, committed with UPDATE_CONSUMER_OFFSET (oneway every persist interval,
// synchronously on demand). Local (broadcasting): Java's LocalFileOffsetStore file,
// <dir>/<clientId>/<group>/offsets.json (+ offsets.json.bak), dir default ~/.rocketmq_offsets; a Java
// consumer with the same client id reads what we write and the other way round. Thread-safe.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "mq/message.h"

namespace mq::client {

class ClientInstance;

class OffsetStore {
 public:
  virtual ~OffsetStore() = default;
  // Records a consumed offset (next offset to consume). increase_only ignores smaller values.
  void Update(const MessageQueue& mq, int64_t offset, bool increase_only);
  // In-memory offset, -1 when none.
  int64_t Read(const MessageQueue& mq) const;
  void Remove(const MessageQueue& mq);
  std::map<MessageQueue, int64_t> Snapshot() const;
  // Stored offset (broker or file): -1 when there is none; an error when it cannot be read.
  virtual Result<int64_t> ReadStored(const MessageQueue& mq) = 0;
  // Writes every in-memory offset (remote: oneway each; local: the file).
  virtual void PersistAll() = 0;
  // Writes one offset and waits for the answer where that is possible.
  virtual Status PersistSync(const MessageQueue& mq) = 0;
  // Writes every in-memory offset and waits (one bounded wait for all) for the answers.
  virtual Status PersistAllSync() = 0;

 protected:
  mutable std::mutex mu_;
  std::map<MessageQueue, int64_t> offsets_;
};

std::unique_ptr<OffsetStore> MakeRemoteOffsetStore(std::shared_ptr<ClientInstance> inst, std::string group);
std::unique_ptr<OffsetStore> MakeLocalOffsetStore(std::string dir, const std::string& client_id,
                                                  const std::string& group);

}  // namespace mq::client
