// Broker: the composition root of the broker role. It owns every broker component and hands each
// one only the narrow dependencies it needs (BrokerContext for request processors).
//
// Lifecycle, all from the main thread:
//   Create()   parses nothing (the caller built the configs); opens the store and recovers it (before
//              anything serves), loads topics / groups / offsets / delay offsets, fills the two
//              ProcessorTables and binds the two servers: listenPort (every code) and the fast port
//              listenPort-2 (every code but PULL_MESSAGE, spec 1.1). With listenPort=0 a free port
//              pair is picked first, so the advertised address is final before any component runs.
//              The ShardSet must already run (store recovery itself never touches the shards).
//   Start()    hooks the store into the shards, starts client scans, long polling, delayed
//              delivery, statistics, then registers with the name servers.
//   Stop()     (shards still running) unregisters from the name servers, stops both servers, then
//              the services.
//   Shutdown() after the ShardSet joined: store shutdown (final flush, checkpoint) and the final
//              write of every metadata file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "broker/broker_config.h"
#include "runtime/shard_set.h"
#include "store/store_config.h"

namespace mq::broker {

struct BrokerOptions {
  std::string bind_host = "0.0.0.0";
};

class Broker {
 public:
  static Result<std::unique_ptr<Broker>> Create(BrokerConfig config, store::MessageStoreConfig store_config,
                                                runtime::ShardSet& shards, const BrokerOptions& options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  Status Start();
  void Stop();
  void Shutdown();

  const BrokerConfig& config() const;
  uint16_t port() const;       // main port (listenPort)
  uint16_t fast_port() const;  // listenPort - 2
  std::string address() const; // advertised brokerIP1:listenPort

  struct Parts;  // the owned components (broker.cc)

 private:
  explicit Broker(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace mq::broker
