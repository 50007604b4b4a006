// NamesrvRegistrar: the broker's side of the name-server lifecycle (spec 3.2, 7.1).
//
// Shard 0 owns it: its net::Client (one kept connection per name server, so a name server can tie
// the broker to that connection), its timers and the topic table it encodes. Registration:
//  - at Start, REGISTER_BROKER to every name server in parallel (the full topic table);
//  - again after kFirstRepeatDelayMs, then every registerNameServerPeriod (clamped 10..60 s);
//  - oneway with the full table whenever ControlPlane reports new topics (auto-create on send or
//    heartbeat), wired through ControlPlane::set_on_topics_changed;
//  - two-way with only the changed topics after UPDATE_AND_CREATE_TOPIC (RegisterTopics).
// A failed registration is logged and simply repeated next period: the broker keeps serving, and
// a name server that was down at start learns about the broker once it is back.
// Stop sends UNREGISTER_BROKER to every name server and waits a bounded time for the answers.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker_config.h"
#include "broker/control_plane.h"
#include "net/client.h"
#include "remoting/command.h"
#include "runtime/shard_set.h"

namespace mq::broker {

// "host:port;host:port" -> addresses (blanks dropped, order kept, duplicates removed).
std::vector<std::string> ParseNamesrvAddrs(const std::string& text);

class NamesrvRegistrar {
 public:
  static constexpr uint32_t kOwnerShard = 0;
  static constexpr uint64_t kFirstRepeatDelayMs = 10000;
  static constexpr uint64_t kUnregisterWaitMs = 3000;

  // `config` and `control` must outlive the registrar; the config's address fields are final.
  NamesrvRegistrar(const BrokerConfig& config, runtime::ShardSet& shards, ControlPlane& control);
  ~NamesrvRegistrar();
  NamesrvRegistrar(const NamesrvRegistrar&) = delete;
  NamesrvRegistrar& operator=(const NamesrvRegistrar&) = delete;

  // Main thread, shards running, store started: hooks topic changes and registers everywhere.
  void Start();
  // Main thread, before the servers and shards stop: cancels the timers, unregisters (waiting at
  // most wait_ms for the answers) and drops the connections. Idempotent.
  void Stop(uint64_t wait_ms = kUnregisterWaitMs);

  // ---- shard 0 ----
  // REGISTER_BROKER to every name server: the whole table (`only` empty) or just `only`. Oneway
  // sends expect no answer. `done` (optional) runs on shard 0 once every name server answered,
  // failed or timed out (registerBrokerTimeoutMills); its argument counts the successes.
  void RegisterAll(bool oneway, std::vector<std::string> only = {}, std::function<void(size_t ok)> done = {});

  // Any thread: registrations answered with SUCCESS so far (for logs and tests).
  uint64_t registrations_ok() const { return registrations_ok_.load(std::memory_order_relaxed); }
  const std::vector<std::string>& namesrv_addrs() const { return addrs_; }

 private:
  remoting::Command BuildRegister(const std::vector<std::string>& only) const;
  remoting::Command BuildUnregister() const;
  void StartOnOwner();
  void StopOnOwner(std::function<void()> finished);

  const BrokerConfig& config_;
  runtime::ShardSet& shards_;
  ControlPlane& control_;
  std::vector<std::string> addrs_;
  uint64_t period_ms_;
  // Shard 0 only.
  std::unique_ptr<net::Client> client_;
  runtime::TimerId first_timer_ = 0;
  runtime::TimerId period_timer_ = 0;
  int32_t next_opaque_ = 1;
  bool stopping_ = false;
  std::atomic<uint64_t> registrations_ok_{0};
  std::atomic<bool> started_{false};
};

}  // namespace mq::broker
