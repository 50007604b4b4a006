// `mq admin brokerStatus` and `mq admin updateSubGroup`: mqadmin's broker-level commands, same names,
// flags and output lines; --json for scripts.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tools/cli/admin_common.h"

namespace mq::tools::cli {
namespace {

std::string Bool(bool b) { return b ? "true" : "false"; }

// Every address (masters and slaves, as mqadmin's brokerStatus -c) or only the masters of a cluster.
Expected<std::vector<std::string>> ClusterAddrs(Admin& ad, const std::string& cluster, bool masters_only) {
  auto clusters = ad.ClusterList();
  if (!clusters.ok()) return clusters.error();
  auto it = clusters->find(cluster);
  if (it == clusters->end()) {
    return Outcome::Fail("no cluster named " + cluster + " is registered; see `mq admin clusterList -n <name server>`");
  }
  std::vector<std::string> out;
  for (const auto& b : it->second) {
    for (const auto& [id, addr] : b.addrs) {
      if (!masters_only || id == 0) out.push_back(addr);
    }
  }
  return out;
}

std::string TableJson(const std::map<std::string, std::string>& table) {
  std::string out;
  for (const auto& [k, v] : table) out += (out.empty() ? "" : ",") + JsonString(k) + ":" + JsonString(v);
  return "{" + out + "}";
}

int BrokerStatus(Admin& ad, const AdminArgs& a) {
  std::vector<std::string> addrs;
  const bool per_broker = a.broker_addr.empty();
  if (per_broker) {
    auto list = ClusterAddrs(ad, a.cluster, false);
    if (!list.ok()) return Fail(list.error());
    addrs = std::move(list).value();
  } else {
    addrs.push_back(a.broker_addr);
  }
  int rc = 0;
  std::string json;
  for (const auto& addr : addrs) {
    auto info = ad.BrokerRuntimeInfo(addr);
    if (!info.ok()) {  // like mqadmin: report this broker and go on with the others
      rc = Fail(info.error());
      continue;
    }
    if (a.json) {
      json += (json.empty() ? "" : ",") + JsonString(addr) + ":" + TableJson(info.value());
      continue;
    }
    for (const auto& [k, v] : info.value()) {
      if (per_broker) {
        std::printf("%-24s %-32s: %s\n", addr.c_str(), k.c_str(), v.c_str());
      } else {
        std::printf("%-32s: %s\n", k.c_str(), v.c_str());
      }
    }
  }
  if (a.json) std::printf("{%s}\n", json.c_str());
  return rc;
}

std::string ConfigText(const std::string& group, const SubscriptionGroupOptions& o) {
  return "SubscriptionGroupConfig [groupName=" + group + ", consumeEnable=" + Bool(o.consume_enable) +
         ", consumeFromMinEnable=" + Bool(o.consume_from_min_enable) +
         ", consumeBroadcastEnable=" + Bool(o.consume_broadcast_enable) +
         ", retryQueueNums=" + std::to_string(o.retry_queue_nums) + ", retryMaxTimes=" +
         std::to_string(o.retry_max_times) + ", brokerId=" + std::to_string(o.broker_id) +
         ", whichBrokerWhenConsumeSlowly=" + std::to_string(o.which_broker_when_consume_slowly) +
         ", notifyConsumerIdsChangedEnable=" + Bool(o.notify_consumer_ids_changed_enable) + "]";
}

// mqadmin resizes the group's existing %RETRY% topic on `addr` when -q differs from its queues.
void ResizeRetryTopic(Admin& ad, const std::string& addr, const std::string& group, int32_t queue_nums) {
  const std::string topic = "%RETRY%" + group;
  auto route = ad.TopicRoute(topic);
  if (!route.ok()) return;  // no retry topic yet: the broker creates it with retryQueueNums
  for (const auto& b : route->brokers) {
    auto master = b.addrs.find(0);
    if (master == b.addrs.end() || master->second != addr) continue;
    for (const auto& q : route->queues) {
      if (q.broker_name != b.broker_name || q.write_queue_nums == queue_nums) continue;
      TopicOptions o;
      o.read_queue_nums = queue_nums;
      o.write_queue_nums = queue_nums;
      o.perm = q.perm;
      if (!ad.CreateTopic(addr, topic, o).ok()) {
        std::fprintf(stderr, "update subscription retry topic %s queue nums to %s failed\n", topic.c_str(),
                     addr.c_str());
      }
    }
  }
}

int UpdateSubGroup(Admin& ad, const AdminArgs& a) {
  std::vector<std::string> addrs;
  if (a.broker_addr.empty()) {
    auto list = ClusterAddrs(ad, a.cluster, true);
    if (!list.ok()) return Fail(list.error());
    addrs = std::move(list).value();
    if (addrs.empty()) return Fail(Outcome::Fail("cluster " + a.cluster + " has no master broker"));
  } else {
    addrs.push_back(a.broker_addr);
  }
  int rc = 0;
  std::string done;
  for (const auto& addr : addrs) {
    if (auto r = ad.CreateSubscriptionGroup(addr, a.group, a.sub); !r.ok()) {
      rc = Fail(r);
      continue;
    }
    if (a.sub.retry_queue_nums != SubscriptionGroupOptions{}.retry_queue_nums) {
      ResizeRetryTopic(ad, addr, a.group, a.sub.retry_queue_nums);
    }
    done += (done.empty() ? "" : ",") + JsonString(addr);
    if (!a.json) std::printf("create subscription group to %s success.\n", addr.c_str());
  }
  if (a.json) {
    const SubscriptionGroupOptions& o = a.sub;
    std::printf(
        "{\"ok\":%s,\"brokerAddrs\":[%s],\"groupName\":%s,\"consumeEnable\":%s,\"consumeFromMinEnable\":%s,"
        "\"consumeBroadcastEnable\":%s,\"retryQueueNums\":%d,\"retryMaxTimes\":%d,\"brokerId\":%lld,"
        "\"whichBrokerWhenConsumeSlowly\":%lld,\"notifyConsumerIdsChangedEnable\":%s}\n",
        rc == 0 ? "true" : "false", done.c_str(), JsonString(a.group).c_str(), Bool(o.consume_enable).c_str(),
        Bool(o.consume_from_min_enable).c_str(), Bool(o.consume_broadcast_enable).c_str(), o.retry_queue_nums,
        o.retry_max_times, static_cast<long long>(o.broker_id),
        static_cast<long long>(o.which_broker_when_consume_slowly), Bool(o.notify_consumer_ids_changed_enable).c_str());
  } else if (!done.empty()) {
    std::printf("%s\n", ConfigText(a.group, a.sub).c_str());
  }
  return rc;
}

void AddTarget(CLI::App* cmd, AdminArgs& a, const char* what, const char* cluster_help) {
  auto* target = cmd->add_option_group("target", what);
  target->add_option("-b,--brokerAddr", a.broker_addr, "broker address ip:port");
  target->add_option("-c,--clusterName", a.cluster, cluster_help);
  target->require_option(1);
}

}  // namespace

void AddAdminBrokerCommands(CLI::App& admin) {
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(admin, a, "brokerStatus", "a broker's runtime statistics (GET_BROKER_RUNTIME_INFO), sorted by key",
                           BrokerStatus);
    AddTarget(cmd, *a, "which broker", "every broker (masters and slaves) of this cluster");
  }
  {
    auto a = std::make_shared<AdminArgs>();
    // mqadmin starts from the broker's defaults but turns these two off unless asked for.
    a->sub.consume_broadcast_enable = false;
    a->sub.consume_from_min_enable = false;
    auto* cmd = AddCommand(admin, a, "updateSubGroup", "create or update a consumer group's settings on a broker or cluster",
                           UpdateSubGroup);
    AddTarget(cmd, *a, "where to create the group", "every master of this cluster");
    cmd->add_option("-g,--groupName", a->group, "consumer group")->required();
    cmd->add_option("-s,--consumeEnable", a->sub.consume_enable, "consume enable (default true)");
    cmd->add_option("-m,--consumeFromMinEnable", a->sub.consume_from_min_enable, "from min offset (default false)");
    cmd->add_option("-d,--consumeBroadcastEnable", a->sub.consume_broadcast_enable, "broadcast (default false)");
    cmd->add_option("-q,--retryQueueNums", a->sub.retry_queue_nums, "retry queue nums (default 1)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("-r,--retryMaxTimes", a->sub.retry_max_times, "retry max times (default 16)")
        ->check(CLI::Range(-1, 1024));
    cmd->add_option("-i,--brokerId", a->sub.broker_id, "consume from which broker id (default 0)");
    cmd->add_option("-w,--whichBrokerWhenConsumeSlowly", a->sub.which_broker_when_consume_slowly,
                    "which broker id when consume slowly (default 1)");
    cmd->add_option("-a,--notifyConsumerIdsChanged,--notifyConsumerIdsChangedEnable",
                    a->sub.notify_consumer_ids_changed_enable, "notify consumer ids changed (default true)");
  }
}

}  // namespace mq::tools::cli
