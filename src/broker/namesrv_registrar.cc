#include "broker/namesrv_registrar.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>

#include "base/hash.h"
#include "base/log.h"
#include "remoting/request_code.h"

namespace mq::broker {
namespace {

namespace rc = remoting::RequestCode;

constexpr uint64_t kMinPeriodMs = 10000;
constexpr uint64_t kMaxPeriodMs = 60000;

// Counts the answers of one fan-out; `done` runs once the last one is in.
struct FanOut {
  size_t waiting = 0;
  size_t ok = 0;
  std::function<void(size_t)> done;
  void Answer(bool success) {
    if (success) ++ok;
    if (--waiting == 0 && done) done(ok);
  }
};

}  // namespace

std::vector<std::string> ParseNamesrvAddrs(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string addr = text.substr(start, end - start);
    addr.erase(0, addr.find_first_not_of(" \t"));
    addr.erase(addr.find_last_not_of(" \t") + 1);
    if (!addr.empty() && std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(addr);
    start = end + 1;
  }
  return out;
}

NamesrvRegistrar::NamesrvRegistrar(const BrokerConfig& config, runtime::ShardSet& shards, ControlPlane& control)
    : config_(config),
      shards_(shards),
      control_(control),
      addrs_(ParseNamesrvAddrs(config.namesrv_addr)),
      period_ms_(std::clamp<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(config.register_name_server_period_ms, 0)),
                                      kMinPeriodMs, kMaxPeriodMs)) {}

NamesrvRegistrar::~NamesrvRegistrar() {
  // Stop() must have run while the shards were alive: the client belongs to shard 0.
  MQ_ASSERT(client_ == nullptr);
}

void NamesrvRegistrar::Start() {
  if (started_.exchange(true)) return;
  if (addrs_.empty()) {
    MQ_LOG_WARN("no name server configured (namesrvAddr / -n / NAMESRV_ADDR): the broker will not be routable");
  }
  control_.set_on_topics_changed([this](const std::vector<std::string>& topics) {
    // Auto-created topics: tell every name server now, oneway, with the whole table (as the
    // reference does), so producers see the real route at their next refresh.
    MQ_LOG_INFO("topics changed ({} first), registering with the name servers", topics.empty() ? "" : topics[0]);
    RegisterAll(/*oneway=*/true);
  });
  if (!shards_.SubmitTo(kOwnerShard, [this] { StartOnOwner(); })) {
    MQ_LOG_ERROR("name-server registration could not be scheduled on shard 0");
  }
}

void NamesrvRegistrar::StartOnOwner() {
  client_ = net::Client::Create(*runtime::CurrentShard());
  RegisterAll(/*oneway=*/false);
  runtime::Shard& shard = *runtime::CurrentShard();
  first_timer_ = shard.RunAfter(kFirstRepeatDelayMs, [this] {
    first_timer_ = 0;
    if (stopping_) return;
    RegisterAll(/*oneway=*/false);
    period_timer_ = runtime::CurrentShard()->RunEvery(period_ms_, [this] {
      if (!stopping_) RegisterAll(/*oneway=*/false);
    });
  });
}

remoting::Command NamesrvRegistrar::BuildRegister(const std::vector<std::string>& only) const {
  remoting::Command req = remoting::Command::Request(rc::kRegisterBroker);
  req.body = control_.topic_table().EncodeRegisterBody(static_cast<int32_t>(config_.broker_permission), only);
  // Member order as the reference broker writes them (a Java HashMap's iteration order).
  req.ext_fields.Set("brokerId", std::to_string(config_.broker_id));
  req.ext_fields.Set("bodyCrc32", std::to_string(MaskedCrc32(req.body.data(), req.body.size())));
  req.ext_fields.Set("clusterName", config_.broker_cluster_name);
  req.ext_fields.Set("brokerAddr", config_.AdvertisedAddress());
  req.ext_fields.Set("haServerAddr", config_.HaAddress());
  req.ext_fields.Set("compressed", "false");
  req.ext_fields.Set("brokerName", config_.broker_name);
  return req;
}

remoting::Command NamesrvRegistrar::BuildUnregister() const {
  remoting::Command req = remoting::Command::Request(rc::kUnregisterBroker);
  req.ext_fields.Set("brokerId", std::to_string(config_.broker_id));
  req.ext_fields.Set("clusterName", config_.broker_cluster_name);
  req.ext_fields.Set("brokerAddr", config_.AdvertisedAddress());
  req.ext_fields.Set("brokerName", config_.broker_name);
  return req;
}

void NamesrvRegistrar::RegisterAll(bool oneway, std::vector<std::string> only, std::function<void(size_t)> done) {
  MQ_ASSERT(runtime::CurrentShard() != nullptr && runtime::CurrentShard()->id() == kOwnerShard);
  if (client_ == nullptr || stopping_ || addrs_.empty()) {
    if (done) done(0);
    return;
  }
  const remoting::Command request = BuildRegister(only);
  if (oneway) {
    for (const auto& addr : addrs_) {
      remoting::Command copy = request;
      copy.flag |= remoting::kFlagOneway;
      client_->InvokeOneway(addr, std::move(copy));
    }
    if (done) done(addrs_.size());
    return;
  }
  auto fan = std::make_shared<FanOut>();
  fan->waiting = addrs_.size();
  fan->done = std::move(done);
  const uint64_t timeout_ms = static_cast<uint64_t>(std::max<int64_t>(config_.register_broker_timeout_ms, 100));
  for (const auto& addr : addrs_) {
    client_->Invoke(addr, request, timeout_ms, [this, fan, addr](Result<remoting::Command> resp) {
      bool success = false;
      if (!resp.ok()) {
        MQ_LOG_WARN("register broker to name server {} failed: {}; retrying next period", addr, resp.status().remark());
      } else if (resp->code != ToInt(ResponseCode::kSuccess)) {
        MQ_LOG_WARN("register broker to name server {} refused: code {} {}", addr, resp->code, resp->remark.value_or(""));
      } else {
        success = true;
        if (registrations_ok_.fetch_add(1, std::memory_order_relaxed) == 0) {
          MQ_LOG_INFO("registered broker {} with name server {}", config_.AdvertisedAddress(), addr);
        }
      }
      fan->Answer(success);
    });
  }
}

void NamesrvRegistrar::StopOnOwner(std::function<void()> finished) {
  stopping_ = true;
  runtime::Shard& shard = *runtime::CurrentShard();
  if (first_timer_ != 0) shard.Cancel(first_timer_);
  if (period_timer_ != 0) shard.Cancel(period_timer_);
  first_timer_ = period_timer_ = 0;
  if (client_ == nullptr || addrs_.empty()) {
    client_.reset();
    finished();
    return;
  }
  auto fan = std::make_shared<FanOut>();
  fan->waiting = addrs_.size();
  fan->done = [finished](size_t) { finished(); };
  const remoting::Command request = BuildUnregister();
  for (const auto& addr : addrs_) {
    client_->Invoke(addr, request, kUnregisterWaitMs, [fan, addr](Result<remoting::Command> resp) {
      if (!resp.ok()) MQ_LOG_WARN("unregister broker from name server {} failed: {}", addr, resp.status().remark());
      fan->Answer(resp.ok() && resp->code == ToInt(ResponseCode::kSuccess));
    });
  }
}

void NamesrvRegistrar::Stop(uint64_t wait_ms) {
  if (!started_.exchange(false)) return;
  auto answered = std::make_shared<std::promise<void>>();
  auto future = answered->get_future();
  const bool submitted = shards_.SubmitTo(kOwnerShard, [this, answered] {
    StopOnOwner([answered] { answered->set_value(); });
  });
  if (submitted && future.wait_for(std::chrono::milliseconds(wait_ms)) != std::future_status::ready) {
    MQ_LOG_WARN("name servers did not answer UNREGISTER_BROKER within {} ms", wait_ms);
  }
  // The client is shard 0's: destroy it there (pending calls fail and are ignored), and wait.
  auto destroyed = std::make_shared<std::promise<void>>();
  auto gone = destroyed->get_future();
  if (shards_.SubmitTo(kOwnerShard, [this, destroyed] {
        client_.reset();
        destroyed->set_value();
      })) {
    gone.wait_for(std::chrono::milliseconds(2000));
  }
}

}  // namespace mq::broker
