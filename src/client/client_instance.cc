#include "client/client_instance.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "base/log.h"
#include "client/queue_table.h"
#include "remoting/request_code.h"

namespace mq::client {
namespace {

namespace rc = remoting::RequestCode;
// A blocking Invoke waits this much longer than the request timeout: the net client always
// answers by then (timeout timer), the margin only covers a stalled or stopping runtime.
constexpr uint64_t kSyncWaitMarginMs = 2000;
constexpr size_t kMaxServiceTasks = 64;

std::vector<std::string> SplitAddrs(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t semi = list.find_first_of(";,", pos);
    if (semi == std::string::npos) semi = list.size();
    std::string a = list.substr(pos, semi - pos);
    while (!a.empty() && a.front() == ' ') a.erase(a.begin());
    while (!a.empty() && a.back() == ' ') a.pop_back();
    if (!a.empty()) out.push_back(a);
    pos = semi + 1;
  }
  return out;
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LocalIp() {
  struct ifaddrs* list = nullptr;
  std::string found = "127.0.0.1";
  if (getifaddrs(&list) != 0) return found;
  for (auto* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
    if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
    found = buf;
    break;
  }
  freeifaddrs(list);
  return found;
}

ClientInstance::ClientInstance(InstanceConfig config, InstanceHooks hooks)
    : config_(std::move(config)), hooks_(std::move(hooks)) {
  namesrvs_ = SplitAddrs(config_.namesrv_addr);
  client_ip_ = LocalIp();
  std::string instance = config_.instance_name;
  if (instance.empty()) {
    const auto nanos = std::chrono::steady_clock::now().time_since_epoch().count();
    instance = std::to_string(getpid()) + "#" + std::to_string(nanos);
  }
  client_id_ = client_ip_ + "@" + instance;
}

Result<std::shared_ptr<ClientInstance>> ClientInstance::Start(InstanceConfig config, InstanceHooks hooks) {
  // Like Java's client: a log file (~/logs/rocketmqlogs/rocketmq_client.log), only warnings on
  // stderr, nothing on the application's stdout. An application's own InitLogging wins.
  LogOptions log_options;
  log_options.name = "rocketmq_client";
  log_options.stderr_level = spdlog::level::warn;
  EnsureLogging(log_options);
  std::shared_ptr<ClientInstance> inst(new ClientInstance(std::move(config), std::move(hooks)));
  if (inst->namesrvs_.empty()) {
    return Status::SystemError("no name server address given (namesrv_addr, e.g. \"127.0.0.1:9876\")");
  }
  Status st = inst->StartRuntime();
  if (!st.ok()) return st;
  inst->service_ = std::thread([raw = inst.get()] { raw->ServiceLoop(); });
  return inst;
}

Result<std::shared_ptr<ClientInstance>> ClientInstance::StartForConsumer(const ConsumerOptions& options,
                                                                         std::weak_ptr<ConsumerInner> consumer) {
  InstanceConfig cfg;
  cfg.namesrv_addr = options.namesrv_addr;
  cfg.instance_name = options.instance_name;
  if (cfg.instance_name.empty() && options.model == MessageModel::kBroadcasting) cfg.instance_name = "DEFAULT";
  cfg.rebalance_ms = options.rebalance_interval_ms;
  InstanceHooks hooks;
  hooks.consumer_group = options.group;
  hooks.fill_heartbeat = [consumer](HeartbeatData& hb) {
    if (auto c = consumer.lock()) c->FillHeartbeat(hb);
  };
  hooks.rebalance = [consumer] {
    if (auto c = consumer.lock()) c->Rebalance();
  };
  hooks.tick = [consumer](int64_t now_ms) {
    if (auto c = consumer.lock()) c->Tick(now_ms);
  };
  hooks.reset_offset = [consumer](const std::string& topic, const std::map<MessageQueue, int64_t>& offsets) {
    if (auto c = consumer.lock()) c->ResetOffset(topic, offsets);
  };
  hooks.running_info = [consumer]() -> std::string {
    auto c = consumer.lock();
    return c ? c->RunningInfo() : std::string("{}");
  };
  return Start(std::move(cfg), std::move(hooks));
}

void ClientInstance::RegisterProcessors() {
  // Oneway from the broker (Java answers nothing either).
  processors_.Register(rc::kNotifyConsumerIdsChanged,
                       [this](const net::ConnectionPtr&, remoting::Command&&) { TriggerRebalance(); });
  processors_.Register(rc::kResetConsumerClientOffset, [this](const net::ConnectionPtr& conn, remoting::Command&& req) {
    OnResetOffset(conn, std::move(req));
  });
  processors_.Register(rc::kGetConsumerRunningInfo, [this](const net::ConnectionPtr& conn, remoting::Command&& req) {
    OnRunningInfo(conn, std::move(req));
  });
}

void ClientInstance::OnResetOffset(const net::ConnectionPtr& conn, remoting::Command&& request) {
  // A 4.x broker sends this oneway; a two-way request gets its answer at once, the work is async.
  if (!request.is_oneway()) conn->Send(remoting::Command::ResponseTo(request, ResponseCode::kSuccess));
  auto topic = request.ext_fields.GetString("topic");
  auto group = request.ext_fields.GetString("group");
  if (!topic.ok() || !group.ok()) {
    MQ_LOG_WARN("RESET_CONSUMER_CLIENT_OFFSET from {} without topic or group", conn->peer_address());
    return;
  }
  if (group.value() != hooks_.consumer_group || !hooks_.reset_offset) {
    MQ_LOG_INFO("reset of offsets for group {} ignored: no such consumer in client {}", group.value(), client_id_);
    return;
  }
  auto table = ParseQueueOffsetTable(request.body);
  if (!table.ok()) {
    MQ_LOG_WARN("RESET_CONSUMER_CLIENT_OFFSET for {}: {}", group.value(), table.status().remark());
    return;
  }
  MQ_LOG_INFO("broker {} resets the offsets of group {} on topic {} ({} queues)", conn->peer_address(),
              group.value(), topic.value(), table->size());
  const bool queued = RunOnService([this, topic = topic.value(), table = std::move(table.value())] {
    hooks_.reset_offset(topic, table);
  });
  if (!queued) MQ_LOG_WARN("reset of offsets for group {} dropped: the client is busy or stopping", group.value());
}

void ClientInstance::OnRunningInfo(const net::ConnectionPtr& conn, remoting::Command&& request) {
  const std::string* group = request.ext_fields.Find("consumerGroup");
  if (group == nullptr || *group != hooks_.consumer_group || !hooks_.running_info) {
    if (!request.is_oneway()) {
      conn->Send(remoting::Command::ResponseTo(
          request, ResponseCode::kSystemError,
          "The Consumer Group <" + (group != nullptr ? *group : std::string()) + "> not exist in this consumer"));
    }
    return;
  }
  remoting::Command header;  // the answer needs only these of the request
  header.code = request.code;
  header.opaque = request.opaque;
  header.serialize_type = request.serialize_type;
  header.flag = request.flag;
  std::weak_ptr<net::Connection> weak_conn = conn;
  const bool queued = RunOnService([this, header, weak_conn] {
    remoting::Command resp = remoting::Command::ResponseTo(header, ResponseCode::kSuccess);
    resp.body = hooks_.running_info();
    RunOnIo(0, [weak_conn, resp = std::move(resp)] {
      if (auto c = weak_conn.lock()) c->Send(resp);
    });
  });
  if (!queued && !request.is_oneway()) {
    conn->Send(remoting::Command::ResponseTo(request, ResponseCode::kSystemBusy, "client is busy or stopping"));
  }
}

bool ClientInstance::RunOnService(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(service_mu_);
    if (stopping_ || service_tasks_.size() >= kMaxServiceTasks) return false;
    service_tasks_.push_back(std::move(task));
  }
  service_cv_.notify_all();
  return true;
}

Status ClientInstance::StartRuntime() {
  RegisterProcessors();
  runtime::RuntimeOptions opts;
  opts.shard_count = 1;
  auto set = runtime::ShardSet::Start(opts);
  if (!set.ok()) return set.status();
  shards_ = std::move(set.value());
  // Shared: after a timed-out wait the task may still run and must not touch a dead promise.
  auto created = std::make_shared<std::promise<void>>();
  auto fut = created->get_future();
  const bool queued = shards_->SubmitTo(0, [this, created] {
    net::ClientOptions co;
    co.request_table = &processors_;
    net_ = net::Client::Create(shards_->shard(0), co);
    created->set_value();
  });
  if (!queued || fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return Status::SystemError("the client runtime did not start");
  }
  return Status::Ok();
}

ClientInstance::~ClientInstance() { Shutdown(); }

void ClientInstance::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(service_mu_);
    stopping_ = true;
  }
  service_cv_.notify_all();
  if (service_.joinable()) service_.join();
  {
    std::lock_guard<std::mutex> lock(service_mu_);
    service_tasks_.clear();  // never started; they hold no connection (weak references only)
  }
  UnregisterAll();
  if (shards_ != nullptr) {
    auto destroyed = std::make_shared<std::promise<void>>();
    auto fut = destroyed->get_future();
    if (shards_->SubmitTo(0, [this, destroyed] {
          net_.reset();
          destroyed->set_value();
        })) {
      fut.wait_for(std::chrono::seconds(5));
    }
    shards_->RequestStop();
    shards_->Join();
  }
}

runtime::Shard& ClientInstance::shard() { return shards_->shard(0); }

bool ClientInstance::OnIoThread() const {
  return shards_ != nullptr && runtime::CurrentShard() == &shards_->shard(0);
}

void ClientInstance::InvokeAsync(const std::string& addr, remoting::Command request, uint64_t timeout_ms,
                                 Callback done) {
  if (OnIoThread()) {
    if (net_ == nullptr) {
      done(Status::SystemError("client is shut down"));
      return;
    }
    net_->Invoke(addr, std::move(request), timeout_ms, std::move(done));
    return;
  }
  auto shared_done = std::make_shared<Callback>(std::move(done));
  const bool queued = shards_->SubmitTo(0, [this, addr, request = std::move(request), timeout_ms,
                                            shared_done]() mutable {
    if (net_ == nullptr) {
      (*shared_done)(Status::SystemError("client is shut down"));
      return;
    }
    net_->Invoke(addr, std::move(request), timeout_ms, std::move(*shared_done));
  });
  if (!queued) (*shared_done)(Status::SystemError("client runtime is stopped or overloaded"));
}

Result<remoting::Command> ClientInstance::Invoke(const std::string& addr, remoting::Command request,
                                                 uint64_t timeout_ms) {
  MQ_ASSERT(!OnIoThread());
  auto promise = std::make_shared<std::promise<Result<remoting::Command>>>();
  auto fut = promise->get_future();
  InvokeAsync(addr, std::move(request), timeout_ms,
              [promise](Result<remoting::Command> r) { promise->set_value(std::move(r)); });
  if (fut.wait_for(std::chrono::milliseconds(timeout_ms + kSyncWaitMarginMs)) != std::future_status::ready) {
    return Status::SystemError("request to " + addr + " timed out after " + std::to_string(timeout_ms) + " ms");
  }
  return fut.get();
}

void ClientInstance::InvokeOneway(const std::string& addr, remoting::Command request) {
  RunOnIo(0, [this, addr, request = std::move(request)]() mutable {
    if (net_ != nullptr) net_->InvokeOneway(addr, std::move(request));
  });
}

void ClientInstance::RunOnIo(uint64_t delay_ms, std::function<void()> task) {
  auto run = [this, delay_ms, task = std::move(task)]() mutable {
    if (delay_ms == 0) {
      task();
    } else {
      shard().RunAfter(delay_ms, std::move(task));
    }
  };
  if (OnIoThread()) {
    run();
  } else if (shards_ != nullptr) {
    (void)shards_->SubmitTo(0, std::move(run));  // false only while stopping: the task is moot then
  }
}

Result<remoting::Command> ClientInstance::InvokeNamesrv(remoting::Command request, uint64_t timeout_ms) {
  Status last = Status::SystemError("no name server");
  const size_t start = namesrv_index_.load();
  for (size_t i = 0; i < namesrvs_.size(); ++i) {
    const size_t idx = (start + i) % namesrvs_.size();
    auto r = Invoke(namesrvs_[idx], request, timeout_ms);
    if (r.ok()) {
      namesrv_index_.store(idx);
      return r;
    }
    last = Status::SystemError("no name server reachable at " + namesrvs_[idx] + " (" + r.status().remark() +
                               "); is mq (or mqnamesrv) running there?");
  }
  return last;
}

Result<std::shared_ptr<const TopicRoute>> ClientInstance::Route(const std::string& topic, bool refresh) {
  if (!refresh) {
    if (auto cached = CachedRoute(topic)) return cached;
  }
  remoting::Command req = remoting::Command::Request(rc::kGetRouteinfoByTopic);
  req.ext_fields.Set("topic", topic);
  auto resp = InvokeNamesrv(std::move(req), config_.rpc_timeout_ms);
  if (!resp.ok()) return resp.status();
  if (resp->code == ToInt(ResponseCode::kTopicNotExist)) {
    return Status(ResponseCode::kTopicNotExist,
                  "no route for topic " + topic + ": create it first (mq admin updateTopic -t " + topic +
                      " -c DefaultCluster), or enable autoCreateTopicEnable on the broker");
  }
  if (resp->code != 0) return ResponseError(resp.value(), "GET_ROUTEINFO_BY_TOPIC " + topic);
  auto route = ParseTopicRoute(resp->body);
  if (!route.ok()) return route.status();
  auto shared = std::make_shared<const TopicRoute>(std::move(route.value()));
  std::lock_guard<std::mutex> lock(routes_mu_);
  auto& slot = routes_[topic];
  if (slot == nullptr || !(*slot == *shared)) route_changed_ = true;
  slot = shared;
  for (const auto& b : shared->broker_datas) brokers_[b.broker_name] = b;
  return std::shared_ptr<const TopicRoute>(shared);
}

std::shared_ptr<const TopicRoute> ClientInstance::CachedRoute(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(routes_mu_);
  auto it = routes_.find(topic);
  return it == routes_.end() ? nullptr : it->second;
}

std::string ClientInstance::BrokerAddr(const std::string& broker_name, bool master_only) const {
  std::lock_guard<std::mutex> lock(routes_mu_);
  auto it = brokers_.find(broker_name);
  if (it == brokers_.end()) return "";
  return master_only ? it->second.Master() : it->second.MasterOrAny();
}

std::vector<std::string> ClientInstance::AllBrokerAddrs() const {
  std::lock_guard<std::mutex> lock(routes_mu_);
  std::set<std::string> addrs;
  for (const auto& [name, b] : brokers_) {
    for (const auto& [id, addr] : b.addrs) addrs.insert(addr);
  }
  return {addrs.begin(), addrs.end()};
}

void ClientInstance::SendHeartbeatToAll() {
  HeartbeatData hb;
  hb.client_id = client_id_;
  if (!hooks_.producer_group.empty()) {
    hb.producer_groups = {hooks_.producer_group, kClientInnerProducer};
  }
  if (hooks_.fill_heartbeat) hooks_.fill_heartbeat(hb);
  if (hb.producer_groups.empty() && hb.consumers.empty()) return;
  for (const auto& addr : AllBrokerAddrs()) {
    auto r = Invoke(addr, BuildHeartbeat(hb), config_.rpc_timeout_ms);
    if (!r.ok()) {
      MQ_LOG_WARN("heartbeat to broker {} failed: {}", addr, r.status().remark());
    } else if (r->code != 0) {
      MQ_LOG_WARN("heartbeat to broker {} refused: code {}", addr, r->code);
    }
  }
}

void ClientInstance::TriggerRebalance() {
  {
    std::lock_guard<std::mutex> lock(service_mu_);
    rebalance_requested_ = true;
  }
  service_cv_.notify_all();
}

void ClientInstance::RefreshAllRoutes() {
  std::vector<std::string> topics;
  {
    std::lock_guard<std::mutex> lock(routes_mu_);
    for (const auto& [t, r] : routes_) topics.push_back(t);
  }
  for (const auto& t : topics) {
    auto r = Route(t, true);
    if (!r.ok()) MQ_LOG_DEBUG("route refresh for {} failed: {}", t, r.status().remark());
  }
}

void ClientInstance::ServiceLoop() {
  int64_t next_route = NowMs() + static_cast<int64_t>(config_.route_refresh_ms);
  int64_t next_heartbeat = NowMs() + static_cast<int64_t>(config_.heartbeat_ms);
  int64_t next_rebalance = NowMs() + static_cast<int64_t>(config_.rebalance_ms);
  for (;;) {
    bool rebalance_now = false;
    std::deque<std::function<void()>> tasks;
    {
      std::unique_lock<std::mutex> lock(service_mu_);
      service_cv_.wait_for(lock, std::chrono::milliseconds(100),
                           [this] { return stopping_ || rebalance_requested_ || !service_tasks_.empty(); });
      if (stopping_) return;
      rebalance_now = rebalance_requested_;
      rebalance_requested_ = false;
      tasks.swap(service_tasks_);
    }
    for (auto& task : tasks) task();
    const int64_t now = NowMs();
    if (now >= next_route) {
      RefreshAllRoutes();
      next_route = now + static_cast<int64_t>(config_.route_refresh_ms);
    }
    if (TakeRouteChanged()) {
      SendHeartbeatToAll();  // new brokers must know us before we send to or pull from them
      next_heartbeat = now + static_cast<int64_t>(config_.heartbeat_ms);
      rebalance_now = true;
    }
    if (now >= next_heartbeat) {
      SendHeartbeatToAll();
      next_heartbeat = now + static_cast<int64_t>(config_.heartbeat_ms);
    }
    if (now >= next_rebalance) rebalance_now = true;
    if (rebalance_now && hooks_.rebalance) {
      hooks_.rebalance();
      next_rebalance = NowMs() + static_cast<int64_t>(config_.rebalance_ms);
    }
    if (hooks_.tick) hooks_.tick(NowMs());
  }
}

void ClientInstance::UnregisterAll() {
  if (hooks_.producer_group.empty() && hooks_.consumer_group.empty()) return;
  for (const auto& addr : AllBrokerAddrs()) {
    auto r = Invoke(addr, BuildUnregisterClient(client_id_, hooks_.producer_group, hooks_.consumer_group),
                    config_.rpc_timeout_ms);
    if (!r.ok()) MQ_LOG_DEBUG("unregister from {} failed: {}", addr, r.status().remark());
  }
}

}  // namespace mq::client
