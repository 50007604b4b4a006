// mq::Producer: sends messages to a RocketMQ 4.x broker (or mq), discovering routes from the name
// servers. Thread-safe: any thread may call any method after Start() and before Shutdown().
// Threads: network I/O runs on the producer's own runtime thread; async callbacks run on a small
// callback pool, never on the I/O thread, so a slow callback cannot stall sends.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mq/message.h"
#include "mq/result.h"

namespace mq {

struct ProducerOptions {
  std::string group = "DEFAULT_PRODUCER";
  std::string namesrv_addr = "127.0.0.1:9876";  // "host:port;host:port"
  std::string instance_name;                    // empty: "<pid>#<nanotime>" as Java does
  uint64_t send_timeout_ms = 3000;              // whole send, retries included
  int retry_times_when_send_failed = 2;         // sync: 1 + this many attempts
  int retry_times_when_send_async_failed = 2;
  int default_topic_queue_nums = 4;             // used when the broker auto-creates a topic
  uint32_t max_async_in_flight = 10000;         // SendAsync blocks (bounded) beyond this
  size_t max_message_bytes = 4 * 1024 * 1024;
  uint32_t callback_threads = 2;
  // Java's compressMsgBodyOverHowmuch: the body of a single message of at least this many bytes is
  // sent zlib-compressed with the COMPRESSED sysFlag (consumers inflate it; the Message passed in is
  // not changed); 0 turns compression off. Batches are never compressed, as in Java.
  size_t compress_over_bytes = 4096;
  int compress_level = 5;  // zlib level 0..9 (-1: zlib's default); Java's default is 5
};

enum class SendStatus { kSendOk, kFlushDiskTimeout, kFlushSlaveTimeout, kSlaveNotAvailable };
const char* SendStatusName(SendStatus status);

struct SendResult {
  SendStatus status = SendStatus::kSendOk;
  std::string msg_id;         // UNIQ_KEY (comma-separated for a batch)
  std::string offset_msg_id;  // the broker's msgId (comma-separated for a batch)
  MessageQueue queue;
  int64_t queue_offset = 0;
};

using SendCallback = std::function<void(Expected<SendResult> result)>;
// Picks a queue for an ordered send: same `arg` -> same queue while the route is unchanged.
using QueueSelector = std::function<size_t(const std::vector<MessageQueue>& queues, const Message& msg,
                                           const std::string& arg)>;
// The usual selector: Java String hash of arg modulo the queue count.
size_t SelectByHash(const std::vector<MessageQueue>& queues, const Message& msg, const std::string& arg);

class Producer {
 public:
  explicit Producer(ProducerOptions options);
  ~Producer();  // shuts down if still running
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  Outcome Start();
  void Shutdown();  // unregisters from every broker; waits (bounded) for in-flight async sends

  // Round-robin over writable queues, retrying on another broker as RocketMQ does.
  Expected<SendResult> Send(const Message& msg);
  Expected<SendResult> Send(const Message& msg, const MessageQueue& queue);
  Expected<SendResult> Send(const Message& msg, const QueueSelector& selector, const std::string& arg);
  // The callback runs exactly once on the callback pool.
  void SendAsync(const Message& msg, SendCallback callback);
  // Fire and forget: no response, no retry. Fails only on local errors (no route, bad message).
  Outcome SendOneway(const Message& msg);
  // One SEND_BATCH_MESSAGE: all messages share a topic, no delay level, total size <= 4 MiB.
  Expected<SendResult> SendBatch(const std::vector<Message>& msgs);

  // Writable queues of a topic (route from the name server).
  Expected<std::vector<MessageQueue>> FetchPublishQueues(const std::string& topic);
  const std::string& client_id() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mq
