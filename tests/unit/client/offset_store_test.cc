// The broadcasting offsets file: Java's LocalFileOffsetStore layout, its .bak, the old layout.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "client/offset_store.h"
#include "client/queue_table.h"

using mq::MessageQueue;
using namespace mq::client;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/mq_offset_store_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::trunc);
  f << text;
}

const MessageQueue kQ0{"T", "broker-a", 0};
const MessageQueue kQ1{"T", "broker-a", 1};

}  // namespace

TEST_CASE("the local store writes Java's OffsetSerializeWrapper at <dir>/<clientId>/<group>/offsets.json") {
  TempDir dir;
  const std::string file = dir.path + "/10.0.0.1@DEFAULT/g1/offsets.json";
  {
    auto store = MakeLocalOffsetStore(dir.path, "10.0.0.1@DEFAULT", "g1");
    store->Update(kQ0, 12, false);
    store->PersistAll();
    CHECK(Slurp(file) == R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:12}})");
    CHECK(!fs::exists(file + ".bak"));
    store->Update(kQ1, 5, false);
    store->Update(kQ0, 13, true);
    store->PersistAll();
    // The previous content is kept as the .bak, as Java's MixAll.string2File does.
    CHECK(Slurp(file + ".bak") == R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:12}})");
    auto now = ParseQueueOffsetTable(Slurp(file));
    REQUIRE(now.ok());
    CHECK(now->at(kQ0) == 13);
    CHECK(now->at(kQ1) == 5);
  }
  auto again = MakeLocalOffsetStore(dir.path, "10.0.0.1@DEFAULT", "g1");
  CHECK(again->ReadStored(kQ0).value() == 13);
  CHECK(again->ReadStored(kQ1).value() == 5);
  CHECK(again->ReadStored(MessageQueue{"T", "broker-a", 9}).value() == -1);
  // Persisting only some queues keeps what the file said about the others.
  again->Update(kQ0, 20, false);
  again->PersistAll();
  auto merged = ParseQueueOffsetTable(Slurp(file));
  CHECK(merged->at(kQ0) == 20);
  CHECK(merged->at(kQ1) == 5);
}

TEST_CASE("the local store reads a file written by Java (pretty-printed) and the old array layout") {
  TempDir dir;
  Write(dir.path + "/c@DEFAULT/g/offsets.json",
        "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"T\"\n"
        "\t\t}:42\n\t}\n}");
  CHECK(MakeLocalOffsetStore(dir.path, "c@DEFAULT", "g")->ReadStored(kQ1).value() == 42);
  Write(dir.path + "/c@DEFAULT/old/offsets.json",
        R"({"offsetTable":[{"brokerName":"broker-a","offset":8,"queueId":0,"topic":"T"}]})");
  CHECK(MakeLocalOffsetStore(dir.path, "c@DEFAULT", "old")->ReadStored(kQ0).value() == 8);
}

TEST_CASE("an unreadable offsets file falls back to the .bak") {
  TempDir dir;
  const std::string file = dir.path + "/c@DEFAULT/g/offsets.json";
  Write(file, "{\"offsetTable\":{{\"brokerName\":");
  Write(file + ".bak", R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:3}})");
  CHECK(MakeLocalOffsetStore(dir.path, "c@DEFAULT", "g")->ReadStored(kQ0).value() == 3);
  fs::remove(file);
  CHECK(MakeLocalOffsetStore(dir.path, "c@DEFAULT", "g")->ReadStored(kQ0).value() == 3);
}
