// LongPollService: pulls that found nothing (PULL_NOT_FOUND with the SUSPEND flag) wait here,
// per shard, keyed by (topic, queueId), until a message arrives or their deadline passes.
//
// Threads: everything runs on the queue's shard (ShardOf(topic, queueId)): Hold() is called by the
// pull processor there, OnArrival() by the store's arrival listener there, and each hold's deadline
// timer fires there. No locks; one ShardLocal slot per shard.
//
// A held pull is a Rerun callback owned by the pull processor. OnArrival(max_offset) re-runs every
// hold of the queue waiting at an offset < max_offset (the listener carries no tags code, so the
// re-run itself filters); a re-run that still finds nothing keeps holding, waiting from the offset it
// returns (its scan frontier). At the deadline a hold is re-run once with last_chance and must answer.
// The number of holds per shard is bounded: Hold() refuses beyond it and the caller answers at once.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/shard_local.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"

namespace mq::broker {

struct LongPollOptions {
  size_t max_held_per_shard = 65536;
};

class LongPollService {
 public:
  struct RerunOutcome {
    bool answered = false;
    int64_t wait_offset = 0;  // when not answered: wake again once the queue grows past this
  };
  // Re-executes the held pull on the queue's shard (no suspension, no offset commit). With
  // last_chance it must answer; otherwise it may decline and keep holding.
  using Rerun = std::function<RerunOutcome(bool last_chance)>;

  LongPollService(runtime::ShardSet& shards, LongPollOptions options = {});
  LongPollService(const LongPollService&) = delete;
  LongPollService& operator=(const LongPollService&) = delete;

  // Queue's shard. Parks a pull waiting for the queue to grow past `offset`, for at most
  // hold_ms. False when this shard already holds max_held_per_shard pulls (nothing is parked).
  bool Hold(const std::string& topic, int32_t queue_id, int64_t offset, uint64_t hold_ms, Rerun rerun);
  // Queue's shard: the queue's consume queue now ends at max_offset.
  void OnArrival(const std::string& topic, int32_t queue_id, int64_t max_offset);
  // The listener to install with MessageStore::SetArrivalListener (before the store starts).
  store::ArrivalListener Listener();
  // This shard's holds.
  size_t held_count();

 private:
  struct Held {
    uint64_t id = 0;
    int64_t wait_offset = 0;
    runtime::TimerId timer = 0;
    Rerun rerun;
  };
  struct ShardHolds {
    std::unordered_map<std::string, std::vector<std::shared_ptr<Held>>> by_queue;
    size_t count = 0;
    uint64_t next_id = 1;
  };
  static std::string Key(const std::string& topic, int32_t queue_id);
  void OnDeadline(const std::string& key, uint64_t id);

  runtime::ShardSet& shards_;
  LongPollOptions options_;
  runtime::ShardLocal<ShardHolds> holds_;
};

}  // namespace mq::broker
