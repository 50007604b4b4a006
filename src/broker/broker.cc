#include "broker/broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "base/log.h"
#include "broker/broker_context.h"
#include "broker/control_plane.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/json_file_writer.h"
#include "broker/namesrv_registrar.h"
#include "broker/processors/admin_processor.h"
#include "broker/processors/admin_stats_processor.h"
#include "broker/processors/group_get_stats.h"
#include "broker/processors/long_poll.h"
#include "broker/processors/offset_processor.h"
#include "broker/processors/pull_processor.h"
#include "broker/processors/query_processor.h"
#include "broker/processors/reset_offset_processor.h"
#include "broker/processors/send_back_processor.h"
#include "broker/processors/send_processor.h"
#include "broker/schedule/schedule_service.h"
#include "net/processor_table.h"
#include "net/server.h"
#include "store/message_store.h"

namespace mq::broker {
namespace {

constexpr int kPortPickAttempts = 32;
constexpr int64_t kFastPortOffset = 2;  // spec 1.1: the fast ("VIP") channel is listenPort - 2

// Binds host:port (0 = ephemeral) and returns the socket and the port, or -1.
std::pair<int, uint16_t> BindProbe(const std::string& host, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {-1, 0};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) addr.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return {-1, 0};
  }
  return {fd, ntohs(addr.sin_port)};
}

// listenPort=0 (tests, the local default with -p 0): a port P such that P and P-2 are both free
// now, so the fast port keeps its fixed relation to the advertised one. Racy by nature (another
// process may take them before we listen); Start reports a bind failure clearly if it happens.
Result<uint16_t> PickFreePortPair(const std::string& host) {
  for (int i = 0; i < kPortPickAttempts; ++i) {
    auto [main_fd, port] = BindProbe(host, 0);
    if (main_fd < 0) return Status::SystemError("cannot bind a probe socket on " + host);
    bool ok = port > kFastPortOffset;
    if (ok) {
      auto [fast_fd, fast] = BindProbe(host, static_cast<uint16_t>(port - kFastPortOffset));
      ok = fast_fd >= 0;
      if (fast_fd >= 0) close(fast_fd);
    }
    close(main_fd);
    if (ok) return port;
  }
  return Status::SystemError("no free port pair (P, P-2) found on " + host);
}

}  // namespace

struct Broker::Parts {
  BrokerConfig config;
  store::MessageStoreConfig store_config;
  runtime::ShardSet& shards;
  BrokerOptions options;
  std::unique_ptr<store::MessageStore> store;
  // config/*.json writes off the shards; declared before its users so it outlives them.
  std::unique_ptr<JsonFileWriter> files;
  std::unique_ptr<ControlPlane> control;
  std::unique_ptr<ScheduleService> schedule;
  std::unique_ptr<LongPollService> long_poll;
  std::unique_ptr<BrokerStats> stats;
  std::unique_ptr<GroupGetStats> group_gets;  // consumeTps of GET_CONSUME_STATS
  std::unique_ptr<BrokerContext> ctx;
  std::unique_ptr<NamesrvRegistrar> registrar;
  std::unique_ptr<AdminContext> admin;
  net::ProcessorTable fast_table;  // every code but PULL_MESSAGE
  net::ProcessorTable main_table;
  std::unique_ptr<net::Server> main_server;
  std::unique_ptr<net::Server> fast_server;
  bool started = false;
  bool stopped = false;
  bool shut_down = false;

  Parts(BrokerConfig c, store::MessageStoreConfig sc, runtime::ShardSet& s, BrokerOptions o)
      : config(std::move(c)), store_config(std::move(sc)), shards(s), options(std::move(o)) {}
};

Broker::Broker(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Broker::~Broker() {
  if (parts_->started && !parts_->stopped) Stop();
}

Result<std::unique_ptr<Broker>> Broker::Create(BrokerConfig config, store::MessageStoreConfig store_config,
                                               runtime::ShardSet& shards, const BrokerOptions& options) {
  if (config.listen_port == 0) {
    auto port = PickFreePortPair(options.bind_host);
    if (!port.ok()) return port.status();
    config.listen_port = *port;
  }
  if (config.listen_port <= kFastPortOffset || config.listen_port > 65534) {
    return Status::SystemError("listenPort must be within [3, 65534] (the fast port is listenPort-2, HA listenPort+1)");
  }
  config.ha_listen_port = config.listen_port + 1;
  auto parts = std::make_unique<Parts>(std::move(config), std::move(store_config), shards, options);
  Parts& p = *parts;

  // The store recovers here, on the main thread, before anything can serve.
  auto store = store::MessageStore::Open(p.store_config, shards.size());
  if (!store.ok()) return store.status();
  p.store = std::move(store).value();
  store::MessageStore* st = p.store.get();
  p.files = std::make_unique<JsonFileWriter>(shards.size());
  p.control = std::make_unique<ControlPlane>(
      p.config, shards, [st](std::string_view topic, int32_t queue_id) { return st->ShardOf(topic, queue_id); });
  p.control->set_file_writer(p.files.get());
  if (Status s = p.control->Load(); !s.ok()) return s;
  p.schedule = std::make_unique<ScheduleService>(p.config, shards, *p.store);
  p.schedule->set_file_writer(p.files.get());
  if (Status s = p.schedule->Load(); !s.ok()) return s;
  p.long_poll = std::make_unique<LongPollService>(shards);
  p.stats = std::make_unique<BrokerStats>(shards.size(), WallClockMs());
  p.group_gets = std::make_unique<GroupGetStats>(shards.size());
  p.ctx = std::unique_ptr<BrokerContext>(
      new BrokerContext{p.config, shards, *p.store, *p.control, p.long_poll.get(), p.config.AdvertisedAddress()});
  p.registrar = std::make_unique<NamesrvRegistrar>(p.config, shards, *p.control);
  p.admin = std::unique_ptr<AdminContext>(new AdminContext{*p.ctx, p.registrar.get(), p.stats.get(), {}});
  p.admin->config_version.timestamp_ms = p.stats->boot_timestamp_ms();

  // Every message stored passes the arrival listener once, on its queue's shard: count it, then
  // wake the pulls held on that queue.
  store::ArrivalListener wake = p.long_poll->Listener();
  BrokerStats* stats = p.stats.get();
  p.store->SetArrivalListener([stats, wake](const std::string& topic, int32_t queue_id, int64_t max_offset) {
    stats->AddPut(1);
    wake(topic, queue_id, max_offset);
  });

  p.control->clients().Register(p.fast_table);
  RegisterSendProcessors(*p.ctx, p.fast_table);
  RegisterSendBackProcessor(*p.ctx, p.fast_table);
  RegisterOffsetProcessors(*p.ctx, p.fast_table);
  RegisterQueryProcessors(*p.ctx, p.fast_table);
  RegisterAdminProcessors(*p.admin, p.fast_table);
  RegisterAdminStatsProcessors(*p.ctx, p.fast_table, p.group_gets.get());
  RegisterResetOffsetProcessor(*p.ctx, p.fast_table);
  p.main_table = p.fast_table;  // handlers are copied; they capture only long-lived components
  RegisterPullProcessors(*p.ctx, p.main_table, PullCounters{p.stats.get(), p.group_gets.get()});
  return std::unique_ptr<Broker>(new Broker(std::move(parts)));
}

Status Broker::Start() {
  Parts& p = *parts_;
  MQ_ASSERT(!p.started);
  if (Status s = p.store->Start(p.shards); !s.ok()) return s;
  p.files->Start();
  p.control->Start();
  if (p.config.IsMaster()) p.schedule->Start();
  p.stats->Start(p.shards);
  p.group_gets->Start(p.shards);
  p.started = true;

  net::ServerOptions server_options;
  server_options.host = p.options.bind_host;
  server_options.idle_timeout_ms = static_cast<uint64_t>(std::max<int64_t>(p.config.server_channel_max_idle_time_s, 1)) * 1000;
  ControlPlane* control = p.control.get();
  auto hooks = [control] {
    net::ServerHooks h;
    // A client's connection is gone: forget its producer / consumer registrations (shard 0).
    h.on_close = [control](const net::ConnectionPtr& conn) { control->clients().OnConnectionClosed(conn); };
    return h;
  };
  server_options.port = static_cast<uint16_t>(p.config.listen_port);
  auto main_server = net::Server::Start(p.shards, server_options, &p.main_table, hooks());
  if (!main_server.ok()) {
    return Status::SystemError("cannot listen on " + p.options.bind_host + ":" + std::to_string(p.config.listen_port) +
                               ": " + main_server.status().remark());
  }
  p.main_server = std::move(main_server).value();
  server_options.port = static_cast<uint16_t>(p.config.listen_port - kFastPortOffset);
  auto fast_server = net::Server::Start(p.shards, server_options, &p.fast_table, hooks());
  if (!fast_server.ok()) {
    // The fast channel only serves clients that ask for it (vipChannelEnabled); carry on without it.
    MQ_LOG_WARN("fast port {} unavailable ({}); serving on {} only", server_options.port,
                fast_server.status().remark(), p.config.listen_port);
  } else {
    p.fast_server = std::move(fast_server).value();
  }
  p.registrar->Start();
  MQ_LOG_INFO("broker {} ({}) serving on {}:{} (fast port {}), {} shards, name servers [{}]", p.config.broker_name,
              p.config.AdvertisedAddress(), p.options.bind_host, p.config.listen_port,
              p.fast_server ? p.fast_server->port() : 0, p.shards.size(), p.config.namesrv_addr);
  return Status::Ok();
}

void Broker::Stop() {
  Parts& p = *parts_;
  if (!p.started || p.stopped) return;
  p.stopped = true;
  p.registrar->Stop();  // first: clients move away while we still answer
  if (p.fast_server) p.fast_server->Stop();
  if (p.main_server) p.main_server->Stop();
  if (p.config.IsMaster()) p.schedule->Stop();
  p.stats->Stop(p.shards);
  p.group_gets->Stop(p.shards);
  p.control->Stop();
  MQ_LOG_INFO("broker {} stopped serving", p.config.broker_name);
}

void Broker::Shutdown() {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  p.store->Shutdown();
  // Finish the queued writes, then write everything once more, synchronously and complete.
  p.files->Stop();
  p.control->PersistAll();
  if (Status s = p.schedule->Persist(); !s.ok()) MQ_LOG_WARN("persist delay offsets: {}", s.ToString());
}

const BrokerConfig& Broker::config() const { return parts_->config; }
uint16_t Broker::port() const { return parts_->main_server ? parts_->main_server->port() : 0; }
uint16_t Broker::fast_port() const { return parts_->fast_server ? parts_->fast_server->port() : 0; }
std::string Broker::address() const { return parts_->config.AdvertisedAddress(); }

}  // namespace mq::broker
