// Child process of the facade crash test: opens the MessageStore in argv[1] under SYNC_FLUSH with
// 2 shards, then on every shard keeps 4 chains of puts going to the queues that shard owns, each
// with a unique key. A line "queue offset key\n" is written to stdout (one write(), < PIPE_BUF) only
// after the put was acknowledged durable. Runs until SIGKILLed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/properties.h"
#include "model/properties.h"
#include "runtime/shard_set.h"
#include "store/message_store.h"

using namespace mq;

namespace {

constexpr int kQueues = 6;
constexpr int kChainsPerShard = 4;

std::string BodyFor(const std::string& key) { return "body-of-" + key + std::string(static_cast<size_t>(key.size() * 7), 'x'); }

void PutNext(store::MessageStore& st, int queue, std::string round, long seq) {
  const std::string key = "k" + round + "-" + std::to_string(queue) + "-" + std::to_string(seq);
  model::MessageRecord r;
  r.topic = "crash";
  r.queue_id = queue;
  r.body = BodyFor(key);
  model::MessageProperties props;
  props.Set(model::kKeys, key);
  r.properties = props.Encode();
  st.Put({r}, true, [&st, queue, round, seq, key](store::PutResult res) {
    if (res.status == store::PutStatus::kOk) {
      const std::string line = std::to_string(queue) + " " + std::to_string(res.queue_offset) + " " + key + "\n";
      if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::abort();
    }
    PutNext(st, queue, round, seq + kChainsPerShard);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  Properties props;
  props.Set("storePathRootDir", argv[1]);
  props.Set("mappedFileSizeCommitLog", "65536");
  props.Set("mappedFileSizeConsumeQueue", "400");
  props.Set("flushDiskType", "SYNC_FLUSH");
  props.Set("maxHashSlotNum", "1000");
  props.Set("maxIndexNum", "4000");
  auto config = store::MessageStoreConfig::FromProperties(props);
  if (!config.ok()) return 1;
  runtime::RuntimeOptions options;
  options.shard_count = 2;
  auto shards = runtime::ShardSet::Start(options);
  if (!shards.ok()) return 1;
  auto opened = store::MessageStore::Open(*config, 2);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  store::MessageStore& st = **opened;
  if (!st.Start(**shards).ok()) return 1;
  const std::string round = argv[2];
  for (int queue = 0; queue < kQueues; ++queue) {
    for (int chain = 0; chain < kChainsPerShard; ++chain) {
      (*shards)->SubmitTo(st.ShardOf("crash", queue), [&st, queue, round, chain] { PutNext(st, queue, round, chain); });
    }
  }
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
