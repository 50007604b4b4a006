// JsonFileWriter: config files written through the background worker have the same bytes (file
// and .bak) as the synchronous writer, writes of one path coalesce to the newest text, and a
// change made on shard 0 right before a clean stop is on disk when the tables are loaded again.
#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "broker/control_plane.h"
#include "broker/metadata/json_file.h"
#include "broker/metadata/json_file_writer.h"
#include "base/properties.h"
#include "support/mq_process.h"
#include "support/shard_helpers.h"

using namespace mq;
using namespace mq::broker;

namespace {

constexpr uint32_t kShards = 2;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::unique_ptr<runtime::ShardSet> StartShards() {
  runtime::RuntimeOptions ro;
  ro.shard_count = kShards;
  auto set = runtime::ShardSet::Start(ro);
  REQUIRE(set.ok());
  return std::move(set).value();
}

void StopShards(runtime::ShardSet& shards) {
  shards.RequestStop();
  shards.Join();
}

BrokerConfig ConfigFor(const std::string& root) {
  Properties props;
  props.Set("storePathRootDir", root);
  HostEnvironment env{root, "test-host", "127.0.0.1", std::nullopt};
  auto bc = BrokerConfig::FromProperties(props, env);
  REQUIRE(bc.ok());
  return std::move(bc).value();
}

}  // namespace

TEST_CASE("a write through the worker leaves the same file and backup as a synchronous write") {
  mq::testing::TempDir dir;
  const std::string async_path = dir.path() + "/a/config/topics.json";
  const std::string sync_path = dir.path() + "/s/config/topics.json";
  const std::string before = R"({"topicConfigTable":{},"dataVersion":{"counter":1,"timestamp":5}})";
  const std::string after = R"({"topicConfigTable":{"T":{"topicName":"T"}},"dataVersion":{"counter":2,"timestamp":6}})";

  REQUIRE(PersistJsonFile(sync_path, before).ok());
  REQUIRE(PersistJsonFile(sync_path, after).ok());

  auto shards = StartShards();
  JsonFileWriter writer(kShards);
  REQUIRE(writer.Write(async_path, before).ok());  // not on a shard: synchronous
  CHECK(ReadAll(async_path) == before);
  writer.Start();
  mq::testing::RunOn(*shards, 0, [&] { CHECK(writer.Write(async_path, after).ok()); });
  writer.Stop();  // runs the queued write
  StopShards(*shards);

  CHECK(writer.files_written() == 2);
  CHECK(ReadAll(async_path) == ReadAll(sync_path));
  CHECK(ReadAll(async_path + ".bak") == ReadAll(sync_path + ".bak"));
  CHECK(ReadAll(async_path + ".bak") == before);
  CHECK(LoadJsonFile(async_path) == after);
}

TEST_CASE("queued writes of one path coalesce to the newest text; a later synchronous write wins") {
  mq::testing::TempDir dir;
  const std::string path = dir.path() + "/config/consumerOffset.json";
  auto shards = StartShards();
  JsonFileWriter writer(kShards);
  writer.Start();
  constexpr int kWrites = 200;
  mq::testing::RunOn(*shards, 0, [&] {
    for (int i = 1; i <= kWrites; ++i) {
      CHECK(writer.Write(path, R"({"offsetTable":{},"n":)" + std::to_string(i) + "}").ok());
    }
  });
  // Another shard writes the same path too: still one file, the newest text.
  mq::testing::RunOn(*shards, 1, [&] { CHECK(writer.Write(path, R"({"offsetTable":{},"n":0})").ok()); });
  writer.Stop();
  CHECK(ReadAll(path) == R"({"offsetTable":{},"n":0})");
  CHECK(writer.files_written() >= 1);
  CHECK(writer.files_written() <= kWrites + 1);

  // After Stop every write is synchronous and final.
  REQUIRE(writer.Write(path, R"({"offsetTable":{},"n":-1})").ok());
  CHECK(ReadAll(path) == R"({"offsetTable":{},"n":-1})");
  StopShards(*shards);
}

TEST_CASE("a topic and group changed on shard 0 right before a clean stop are read back after a restart") {
  mq::testing::TempDir dir;
  const BrokerConfig config = ConfigFor(dir.path());
  const auto shard_of = [](std::string_view, int32_t queue_id) { return static_cast<uint32_t>(queue_id) % kShards; };
  {
    auto shards = StartShards();
    JsonFileWriter writer(kShards);
    ControlPlane control(config, *shards, shard_of);
    control.set_file_writer(&writer);
    REQUIRE(control.Load().ok());
    writer.Start();
    control.Start();
    const uint64_t written_at_start = writer.files_written();
    mq::testing::RunOn(*shards, 0, [&] {
      control.CallOnControl(
          [](ControlPlane::Tables& t) {
            TopicConfig c;
            c.topic_name = "JustBeforeStop";
            c.read_queue_nums = 3;
            c.write_queue_nums = 3;
            c.perm = 6;
            if (Status s = t.topics.UpdateTopic(c); !s.ok()) return s;
            SubscriptionGroupConfig g;
            g.group_name = "GroupJustBeforeStop";
            g.retry_max_times = 7;
            return t.groups.Update(g);
          },
          [](Status s) { CHECK(s.ok()); });
      control.PublishTopics();
      control.PublishGroups();
    });
    // The broker's stop order: services, shards, then the writer drains (no PersistAll here, so
    // what is checked below was written by the worker).
    control.Stop();
    StopShards(*shards);
    writer.Stop();
    CHECK(writer.files_written() > written_at_start);
  }
  TopicTable topics(config, TopicsJsonPath(dir.path()));
  REQUIRE(topics.Load().ok());
  const TopicConfig* t = topics.Find("JustBeforeStop");
  REQUIRE(t != nullptr);
  CHECK(t->write_queue_nums == 3);
  SubscriptionGroupTable groups(config, SubscriptionGroupJsonPath(dir.path()));
  REQUIRE(groups.Load().ok());
  const SubscriptionGroupConfig* g = groups.Find("GroupJustBeforeStop");
  REQUIRE(g != nullptr);
  CHECK(g->retry_max_times == 7);
  // Same bytes as a synchronous write of the same table.
  CHECK(ReadAll(TopicsJsonPath(dir.path())) == topics.EncodeWrapper());
}
