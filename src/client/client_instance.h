// ClientInstance: the runtime behind one Producer, PushConsumer, PullConsumer or Admin.
// - One shard (runtime::ShardSet of size 1) owning a net::Client: every connection to name servers
//   and brokers lives there. Broker -> client requests arrive there too: NOTIFY_CONSUMER_IDS_CHANGED
//   (rebalance), RESET_CONSUMER_CLIENT_OFFSET and GET_CONSUMER_RUNNING_INFO (handed to the service
//   thread); any other request is answered REQUEST_CODE_NOT_SUPPORTED (oneway ones are dropped).
// - A service thread for work that may block: route refresh (30 s), heartbeats (30 s), rebalance
//   (on demand and every rebalance interval), the owner's tick (offsets, locks) and queued tasks.
// Threads: InvokeAsync callbacks run on the I/O shard and must not block; Invoke (blocking) must
// never be called from the I/O shard. Everything else is thread-safe.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "client/protocol.h"
#include "client/route.h"
#include "mq/consumer.h"
#include "net/client.h"
#include "net/processor_table.h"
#include "remoting/command.h"
#include "runtime/shard_set.h"

namespace mq::client {

struct InstanceConfig {
  std::string namesrv_addr;    // "host:port;host:port"
  std::string instance_name;   // empty: "<pid>#<nanotime>"
  uint64_t rpc_timeout_ms = 3000;
  uint64_t route_refresh_ms = 30000;
  uint64_t heartbeat_ms = 30000;
  uint64_t rebalance_ms = 20000;
};

// What the owner contributes; all run on the service thread (may block, bounded).
struct InstanceHooks {
  std::string producer_group;  // for heartbeats and UNREGISTER_CLIENT; empty: none
  std::string consumer_group;
  std::function<void(HeartbeatData&)> fill_heartbeat;  // adds consumer data
  std::function<void()> rebalance;
  std::function<void(int64_t now_ms)> tick;  // about every 100 ms
  // RESET_CONSUMER_CLIENT_OFFSET for consumer_group: topic and the new offsets.
  std::function<void(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets)> reset_offset;
  // GET_CONSUMER_RUNNING_INFO for consumer_group: the ConsumerRunningInfo body. Unset: the group
  // is reported as not existing here (SYSTEM_ERROR), as Java does.
  std::function<std::string()> running_info;
};

// What a consumer contributes to its instance (Java's MQConsumerInner); called on the service
// thread, only while the consumer is alive (the instance holds it weakly).
class ConsumerInner {
 public:
  virtual ~ConsumerInner() = default;
  virtual void FillHeartbeat(HeartbeatData& hb) = 0;
  virtual void Rebalance() = 0;
  virtual void Tick(int64_t now_ms) = 0;
  virtual void ResetOffset(const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) = 0;
  virtual std::string RunningInfo() = 0;
};

class ClientInstance {
 public:
  using Callback = std::function<void(Result<remoting::Command>)>;

  static Result<std::shared_ptr<ClientInstance>> Start(InstanceConfig config, InstanceHooks hooks);
  // The instance of a push or pull consumer: config from `options` (a broadcasting consumer
  // without an instance name is "DEFAULT", as in Java, so its client id and offsets file path
  // survive restarts) and hooks forwarding to `consumer` while it lives.
  static Result<std::shared_ptr<ClientInstance>> StartForConsumer(const ConsumerOptions& options,
                                                                  std::weak_ptr<ConsumerInner> consumer);
  ~ClientInstance();
  // Unregisters from every known broker, stops the service thread and the runtime. Idempotent.
  void Shutdown();

  const std::string& client_id() const { return client_id_; }
  const std::string& client_ip() const { return client_ip_; }
  const InstanceConfig& config() const { return config_; }
  runtime::Shard& shard();
  bool OnIoThread() const;

  // From any thread; `done` runs exactly once on the I/O shard.
  void InvokeAsync(const std::string& addr, remoting::Command request, uint64_t timeout_ms, Callback done);
  // Blocking; never from the I/O shard.
  Result<remoting::Command> Invoke(const std::string& addr, remoting::Command request, uint64_t timeout_ms);
  void InvokeOneway(const std::string& addr, remoting::Command request);
  // Runs `task` on the I/O shard after delay_ms (from any thread).
  void RunOnIo(uint64_t delay_ms, std::function<void()> task);

  // Tries each name server in turn, starting with the last one that answered.
  Result<remoting::Command> InvokeNamesrv(remoting::Command request, uint64_t timeout_ms);

  // Cached route; fetched from the name server when absent or when `refresh`. The topic is kept in
  // the refresh set from then on. TOPIC_NOT_EXIST with a "create it" hint when there is no route.
  Result<std::shared_ptr<const TopicRoute>> Route(const std::string& topic, bool refresh = false);
  std::shared_ptr<const TopicRoute> CachedRoute(const std::string& topic) const;
  // Address of a broker name seen in any route: the master, or any address unless master_only.
  std::string BrokerAddr(const std::string& broker_name, bool master_only) const;
  std::vector<std::string> AllBrokerAddrs() const;

  void SendHeartbeatToAll();
  void TriggerRebalance();
  // Runs `task` on the service thread (may block, bounded); false when the queue is full or the
  // instance is stopping.
  bool RunOnService(std::function<void()> task);
  // Routes that changed since the last call (service thread uses it to rebalance).
  bool TakeRouteChanged() { return route_changed_.exchange(false); }

 private:
  ClientInstance(InstanceConfig config, InstanceHooks hooks);
  Status StartRuntime();
  void ServiceLoop();
  void RefreshAllRoutes();
  void UnregisterAll();
  void RegisterProcessors();
  // I/O thread handlers for broker -> client requests.
  void OnResetOffset(const net::ConnectionPtr& conn, remoting::Command&& request);
  void OnRunningInfo(const net::ConnectionPtr& conn, remoting::Command&& request);

  InstanceConfig config_;
  InstanceHooks hooks_;
  std::vector<std::string> namesrvs_;
  std::atomic<size_t> namesrv_index_{0};
  std::string client_ip_;
  std::string client_id_;

  std::unique_ptr<runtime::ShardSet> shards_;
  net::ProcessorTable processors_;
  std::unique_ptr<net::Client> net_;  // created, used and destroyed on shard 0

  mutable std::mutex routes_mu_;
  std::map<std::string, std::shared_ptr<const TopicRoute>> routes_;
  std::map<std::string, BrokerData> brokers_;  // broker name -> addresses, from every route seen
  std::atomic<bool> route_changed_{false};

  std::mutex service_mu_;
  std::condition_variable service_cv_;
  bool stopping_ = false;
  bool rebalance_requested_ = false;
  std::deque<std::function<void()>> service_tasks_;
  std::thread service_;
  std::atomic<bool> shut_down_{false};
};

// The first non-loopback IPv4 address of this host, else "127.0.0.1".
std::string LocalIp();
int64_t NowMs();

}  // namespace mq::client
