// `mq admin <command>`: mqadmin's command names and flags, tables for people, --json for scripts.
// Topic, cluster, progress and message commands here; broker commands in admin_broker.cc.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mq/admin.h"
#include "tools/cli/admin_common.h"
#include "tools/cli/commands.h"

namespace mq::tools::cli {

std::string ErrorText(const Outcome& o) { return o.code() == 1 ? o.remark() : o.ToString(); }

int Fail(const Outcome& o) {
  std::fprintf(stderr, "error: %s\n", ErrorText(o).c_str());
  return 1;
}

int RunWithAdmin(const AdminArgs& a, const AdminBody& body) {
  InitToolLogging();
  Admin admin({a.namesrv, a.timeout_ms});
  if (auto r = admin.Start(); !r.ok()) return Fail(r);
  const int rc = body(admin, a);
  admin.Shutdown();
  return rc;
}

CLI::App* AddCommand(CLI::App& admin, const std::shared_ptr<AdminArgs>& args, const std::string& name,
                     const std::string& help, AdminBody body) {
  auto* cmd = admin.add_subcommand(name, help);
  cmd->add_option("-n,--namesrvAddr", args->namesrv, "name servers, host:port;host:port (default NAMESRV_ADDR or 127.0.0.1:9876)");
  cmd->add_flag("--json", args->json, "JSON output for scripts");
  cmd->add_option("--timeout-ms", args->timeout_ms, "per request");
  cmd->callback([args, body = std::move(body)] { Exit(RunWithAdmin(*args, body)); });
  return cmd;
}

namespace {

std::string BrokerJson(const BrokerInfo& b) {
  std::string addrs;
  for (const auto& [id, addr] : b.addrs) {
    if (!addrs.empty()) addrs += ",";
    addrs += "\"" + std::to_string(id) + "\":" + JsonString(addr);
  }
  return "{\"cluster\":" + JsonString(b.cluster) + ",\"brokerName\":" + JsonString(b.broker_name) +
         ",\"brokerAddrs\":{" + addrs + "}}";
}

void PrintMessage(const MessageExt& m) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"OffsetID:", m.offset_msg_id},
      {"Topic:", m.topic},
      {"Tags:", "[" + m.tags + "]"},
      {"Keys:", "[" + m.keys + "]"},
      {"Broker Name:", m.queue.broker_name},
      {"Queue ID:", std::to_string(m.queue.queue_id)},
      {"Queue Offset:", std::to_string(m.queue_offset)},
      {"CommitLog Offset:", std::to_string(m.commit_log_offset)},
      {"Reconsume Times:", std::to_string(m.reconsume_times)},
      {"Born Timestamp:", FormatTimeMs(m.born_timestamp_ms)},
      {"Store Timestamp:", FormatTimeMs(m.store_timestamp_ms)},
      {"Born Host:", m.born_host},
      {"Store Host:", m.store_host},
      {"System Flag:", std::to_string(m.sys_flag)},
  };
  std::string props;
  for (const auto& [k, v] : m.all_properties) props += (props.empty() ? "" : ", ") + k + "=" + v;
  rows.push_back({"Properties:", "{" + props + "}"});
  rows.push_back({"Message Body:", m.body});
  for (const auto& [k, v] : rows) std::printf("%-20s%s\n", k.c_str(), v.c_str());
}

int PrintOneMessage(const Expected<MessageExt>& r, bool json) {
  if (!r.ok()) return Fail(r.error());
  if (json) {
    std::printf("%s\n", MessageJson(r.value()).c_str());
  } else {
    PrintMessage(r.value());
  }
  return 0;
}

}  // namespace

void AddAdminCommand(CLI::App& app) {
  auto* admin = app.add_subcommand("admin", "mqadmin-style administration: mq admin <command> --help");
  admin->require_subcommand(1);

  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "updateTopic", "create or update a topic on a broker (-b) or a cluster (-c)",
                           [](Admin& ad, const AdminArgs& a) {
      TopicOptions to;
      to.read_queue_nums = a.read_queues;
      to.write_queue_nums = a.write_queues;
      to.perm = a.perm;
      to.order = a.order;
      const bool on_broker = !a.broker_addr.empty();
      auto r = on_broker ? ad.CreateTopic(a.broker_addr, a.topic, to) : ad.CreateTopicInCluster(a.cluster, a.topic, to);
      if (!r.ok()) return Fail(r);
      const std::string where = on_broker ? a.broker_addr : "cluster " + a.cluster;
      if (a.json) {
        std::printf("{\"ok\":true,\"topic\":%s,\"%s\":%s,\"readQueueNums\":%d,\"writeQueueNums\":%d,\"perm\":%d}\n",
                    JsonString(a.topic).c_str(), on_broker ? "brokerAddr" : "clusterName",
                    JsonString(on_broker ? a.broker_addr : a.cluster).c_str(), a.read_queues, a.write_queues, a.perm);
      } else {
        std::printf("create topic to %s success.\n", where.c_str());
        std::printf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%d, order=%s]\n",
                    a.topic.c_str(), a.read_queues, a.write_queues, a.perm, a.order ? "true" : "false");
      }
      return 0;
    });
    auto* target = cmd->add_option_group("target", "where to create the topic");
    target->add_option("-b,--brokerAddr", a->broker_addr, "broker address ip:port");
    target->add_option("-c,--clusterName", a->cluster, "every master of this cluster");
    target->require_option(1);
    cmd->add_option("-t,--topic", a->topic, "topic name")->required();
    cmd->add_option("-r,--readQueueNums", a->read_queues, "read queues (default 8)")->check(CLI::Range(1, 1024));
    cmd->add_option("-w,--writeQueueNums", a->write_queues, "write queues (default 8)")->check(CLI::Range(1, 1024));
    cmd->add_option("-p,--perm", a->perm, "2 write, 4 read, 6 both (default 6)")->check(CLI::IsMember({2, 4, 6}));
    cmd->add_option("-o,--order", a->order, "ordered topic (true|false)");
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "deleteTopic", "delete a topic from a cluster's brokers and the name servers",
                           [](Admin& ad, const AdminArgs& a) {
      if (auto r = ad.DeleteTopic(a.cluster, a.topic); !r.ok()) return Fail(r);
      if (a.json) {
        std::printf("{\"ok\":true,\"topic\":%s,\"clusterName\":%s}\n", JsonString(a.topic).c_str(),
                    JsonString(a.cluster).c_str());
      } else {
        std::printf("delete topic [%s] from cluster [%s] success.\n", a.topic.c_str(), a.cluster.c_str());
      }
      return 0;
    });
    cmd->add_option("-c,--clusterName", a->cluster, "cluster name")->required();
    cmd->add_option("-t,--topic", a->topic, "topic name")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    AddCommand(*admin, a, "topicList", "list the topics the name servers know", [](Admin& ad, const AdminArgs& a) {
      auto r = ad.TopicList();
      if (!r.ok()) return Fail(r.error());
      if (a.json) {
        std::string list;
        for (const auto& t : r.value()) list += (list.empty() ? "" : ",") + JsonString(t);
        std::printf("{\"topicList\":[%s]}\n", list.c_str());
      } else {
        for (const auto& t : r.value()) std::printf("%s\n", t.c_str());
      }
      return 0;
    });
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "topicRoute", "the route of a topic: brokers and queues",
                           [](Admin& ad, const AdminArgs& a) {
      auto r = ad.TopicRoute(a.topic);
      if (!r.ok()) return Fail(r.error());
      if (a.json) {
        std::string brokers, queues;
        for (const auto& b : r->brokers) brokers += (brokers.empty() ? "" : ",") + BrokerJson(b);
        for (const auto& q : r->queues) {
          queues += std::string(queues.empty() ? "" : ",") + "{\"brokerName\":" + JsonString(q.broker_name) +
                    ",\"readQueueNums\":" + std::to_string(q.read_queue_nums) + ",\"writeQueueNums\":" +
                    std::to_string(q.write_queue_nums) + ",\"perm\":" + std::to_string(q.perm) + "}";
        }
        std::printf("{\"brokerDatas\":[%s],\"queueDatas\":[%s]}\n", brokers.c_str(), queues.c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& b : r->brokers) {
        for (const auto& [id, addr] : b.addrs) rows.push_back({b.cluster, b.broker_name, std::to_string(id), addr});
      }
      PrintTable({"#Cluster Name", "#Broker Name", "#BID", "#Addr"}, rows);
      std::printf("\n");
      rows.clear();
      for (const auto& q : r->queues) {
        rows.push_back({q.broker_name, std::to_string(q.read_queue_nums), std::to_string(q.write_queue_nums),
                        std::to_string(q.perm)});
      }
      PrintTable({"#Broker Name", "#Read Queues", "#Write Queues", "#Perm"}, rows);
      return 0;
    });
    cmd->add_option("-t,--topic", a->topic, "topic name")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    AddCommand(*admin, a, "clusterList", "clusters, their brokers and addresses", [](Admin& ad, const AdminArgs& a) {
      auto r = ad.ClusterList();
      if (!r.ok()) return Fail(r.error());
      if (a.json) {
        std::string clusters;
        for (const auto& [name, brokers] : r.value()) {
          std::string list;
          for (const auto& b : brokers) list += (list.empty() ? "" : ",") + BrokerJson(b);
          clusters += (clusters.empty() ? "" : ",") + JsonString(name) + ":[" + list + "]";
        }
        std::printf("{\"clusters\":{%s}}\n", clusters.c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& [name, brokers] : r.value()) {
        for (const auto& b : brokers) {
          for (const auto& [id, addr] : b.addrs) rows.push_back({name, b.broker_name, std::to_string(id), addr});
        }
      }
      PrintTable({"#Cluster Name", "#Broker Name", "#BID", "#Addr"}, rows);
      return 0;
    });
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "topicStatus", "min/max offset of every queue of a topic",
                           [](Admin& ad, const AdminArgs& a) {
      auto r = ad.TopicStatus(a.topic);
      if (!r.ok()) return Fail(r.error());
      if (a.json) {
        std::string list;
        for (const auto& q : r.value()) {
          list += std::string(list.empty() ? "" : ",") + "{\"brokerName\":" + JsonString(q.queue.broker_name) +
                  ",\"queueId\":" + std::to_string(q.queue.queue_id) + ",\"minOffset\":" +
                  std::to_string(q.min_offset) + ",\"maxOffset\":" + std::to_string(q.max_offset) +
                  ",\"lastUpdateTimestamp\":" + std::to_string(q.last_update_timestamp_ms) + "}";
        }
        std::printf("{\"offsetTable\":[%s]}\n", list.c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& q : r.value()) {
        rows.push_back({q.queue.broker_name, std::to_string(q.queue.queue_id), std::to_string(q.min_offset),
                        std::to_string(q.max_offset),
                        q.last_update_timestamp_ms > 0 ? FormatTimeMs(q.last_update_timestamp_ms) : ""});
      }
      PrintTable({"#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"}, rows);
      return 0;
    });
    cmd->add_option("-t,--topic", a->topic, "topic name")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "consumerProgress", "a group's offsets and lag per queue of a topic",
                           [](Admin& ad, const AdminArgs& a) {
      auto r = ad.ConsumerProgress(a.group, a.topic);
      if (!r.ok()) return Fail(r.error());
      int64_t total = 0;
      for (const auto& q : r.value()) total += q.lag();
      if (a.json) {
        std::string list;
        for (const auto& q : r.value()) {
          list += std::string(list.empty() ? "" : ",") + "{\"topic\":" + JsonString(q.queue.topic) +
                  ",\"brokerName\":" + JsonString(q.queue.broker_name) + ",\"queueId\":" +
                  std::to_string(q.queue.queue_id) + ",\"brokerOffset\":" + std::to_string(q.broker_offset) +
                  ",\"consumerOffset\":" + std::to_string(q.consumer_offset) + ",\"diff\":" +
                  std::to_string(q.lag()) + "}";
        }
        std::printf("{\"group\":%s,\"diffTotal\":%lld,\"offsetTable\":[%s]}\n", JsonString(a.group).c_str(),
                    static_cast<long long>(total), list.c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& q : r.value()) {
        rows.push_back({q.queue.topic, q.queue.broker_name, std::to_string(q.queue.queue_id),
                        std::to_string(q.broker_offset), std::to_string(q.consumer_offset), std::to_string(q.lag())});
      }
      PrintTable({"#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff"}, rows);
      std::printf("\nDiff Total: %lld\n", static_cast<long long>(total));
      return 0;
    });
    cmd->add_option("-g,--groupName", a->group, "consumer group")->required();
    cmd->add_option("-t,--topicName", a->topic, "topic")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "resetOffsetByTime", "move a group's offsets of a topic to a time",
                           [](Admin& ad, const AdminArgs& a) {
      int64_t ts = 0;
      if (a.timestamp == "now") {
        ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
      } else {
        try {
          size_t used = 0;
          ts = std::stoll(a.timestamp, &used);
          if (used != a.timestamp.size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          std::fprintf(stderr, "error: -s must be a unix time in ms or \"now\"\n");
          return 1;
        }
      }
      if (auto r = ad.ResetOffsetByTime(a.group, a.topic, ts, true); !r.ok()) return Fail(r);
      if (a.json) {
        std::printf("{\"ok\":true,\"group\":%s,\"topic\":%s,\"timestamp\":%lld}\n", JsonString(a.group).c_str(),
                    JsonString(a.topic).c_str(), static_cast<long long>(ts));
      } else {
        std::printf("reset offsets of group %s on topic %s to %s: done\n", a.group.c_str(), a.topic.c_str(),
                    FormatTimeMs(ts).c_str());
      }
      return 0;
    });
    cmd->add_option("-g,--group", a->group, "consumer group")->required();
    cmd->add_option("-t,--topic", a->topic, "topic")->required();
    cmd->add_option("-s,--timestamp", a->timestamp, "unix time in ms, or now")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "queryMsgByKey", "messages of a topic with a key (the broker's index)",
                           [](Admin& ad, const AdminArgs& a) {
      auto r = ad.QueryMsgByKey(a.topic, a.key);
      if (!r.ok()) return Fail(r.error());
      if (a.json) {
        std::string list;
        for (const auto& m : r.value()) list += (list.empty() ? "" : ",") + MessageJson(m);
        std::printf("[%s]\n", list.c_str());
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& m : r.value()) {
        rows.push_back({m.msg_id, m.queue.broker_name, std::to_string(m.queue.queue_id), std::to_string(m.queue_offset)});
      }
      PrintTable({"#Message ID", "#Broker Name", "#QID", "#Offset"}, rows);
      return 0;
    });
    cmd->add_option("-t,--topic", a->topic, "topic")->required();
    cmd->add_option("-k,--msgKey", a->key, "message key")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "queryMsgById", "one message by its msgId (offset id or unique key)",
                           [](Admin& ad, const AdminArgs& a) { return PrintOneMessage(ad.QueryMsgById(a.topic, a.msg_id), a.json); });
    cmd->add_option("-t,--topic", a->topic, "topic (needed for unique-key ids)");
    cmd->add_option("-i,--msgId", a->msg_id, "message id")->required();
  }
  {
    auto a = std::make_shared<AdminArgs>();
    auto* cmd = AddCommand(*admin, a, "queryMsgByOffset", "one message by broker, queue and queue offset",
                           [](Admin& ad, const AdminArgs& a) {
      MessageQueue q;
      q.topic = a.topic;
      q.broker_name = a.broker_name;
      q.queue_id = a.queue_id;
      return PrintOneMessage(ad.QueryMsgByOffset(q, a.offset), a.json);
    });
    cmd->add_option("-t,--topic", a->topic, "topic")->required();
    cmd->add_option("-b,--brokerName", a->broker_name, "broker name")->required();
    cmd->add_option("-i,--queueId", a->queue_id, "queue id")->required();
    cmd->add_option("-o,--offset", a->offset, "queue offset")->required();
  }
  AddAdminBrokerCommands(*admin);
}

}  // namespace mq::tools::cli
