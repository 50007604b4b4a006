// `mq produce`: sends the lines of stdin (one message per line) or -c generated messages.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>

#include "mq/producer.h"
#include "tools/cli/commands.h"

namespace mq::tools::cli {

namespace {

struct ProduceOptions {
  std::string namesrv = DefaultNamesrv();
  std::string topic;
  std::string tags;
  std::string keys;
  std::string mode = "sync";
  std::string group = "mq_cli_producer";
  uint64_t count = 0;
  uint32_t size = 0;
  uint64_t send_timeout_ms = 3000;
  size_t compress_over_bytes = ProducerOptions{}.compress_over_bytes;
};

std::string ErrorText(const Outcome& o) { return o.code() == 1 ? o.remark() : o.ToString(); }

std::string GeneratedBody(uint64_t i, uint32_t size) {
  std::string body = "Hello mq " + std::to_string(i);
  if (size == 0) return body;
  if (body.size() > size) return body.substr(0, size);
  while (body.size() < size) body.push_back(static_cast<char>('a' + body.size() % 26));
  return body;
}

int RunProduce(const ProduceOptions& o) {
  InitToolLogging();
  ProducerOptions po;
  po.group = o.group;
  po.namesrv_addr = o.namesrv;
  po.send_timeout_ms = o.send_timeout_ms;
  po.compress_over_bytes = o.compress_over_bytes;
  Producer producer(po);
  if (auto r = producer.Start(); !r.ok()) {
    std::fprintf(stderr, "error: cannot start the producer: %s\n", ErrorText(r).c_str());
    return 1;
  }
  const bool from_stdin = o.count == 0;
  if (from_stdin && isatty(0)) std::fprintf(stderr, "reading messages from stdin, one per line (Ctrl-D ends)\n");

  std::mutex mu;
  std::condition_variable cv;
  uint64_t async_done = 0;
  std::atomic<uint64_t> ok{0}, failed{0};
  uint64_t submitted = 0;
  const auto start = std::chrono::steady_clock::now();

  std::string line;
  for (uint64_t i = 0;; ++i) {
    Message m;
    m.topic = o.topic;
    m.tags = o.tags;
    m.keys = o.keys;
    if (from_stdin) {
      if (!std::getline(std::cin, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;  // a body must have at least one byte
      m.body = line;
    } else {
      if (i >= o.count) break;
      m.body = GeneratedBody(i, o.size);
    }
    ++submitted;
    if (o.mode == "sync") {
      auto r = producer.Send(m);
      if (r.ok()) {
        ++ok;
        std::printf("%s msgId=%s queue=%s offset=%lld\n", SendStatusName(r->status), r->msg_id.c_str(),
                    r->queue.ToString().c_str(), static_cast<long long>(r->queue_offset));
        std::fflush(stdout);
      } else {
        ++failed;
        std::fprintf(stderr, "error: send failed: %s\n", ErrorText(r.error()).c_str());
        if (ok == 0) break;  // nothing got through: a set-up problem, not a transient one
      }
    } else if (o.mode == "async") {
      producer.SendAsync(m, [&](Expected<SendResult> r) {
        if (r.ok()) {
          ++ok;
        } else {
          ++failed;
          std::fprintf(stderr, "error: async send failed: %s\n", ErrorText(r.error()).c_str());
        }
        std::lock_guard<std::mutex> l(mu);
        ++async_done;
        cv.notify_all();
      });
    } else {
      auto r = producer.SendOneway(m);
      if (r.ok()) {
        ++ok;
      } else {
        ++failed;
        std::fprintf(stderr, "error: oneway send failed: %s\n", ErrorText(r).c_str());
        if (ok == 0) break;
      }
    }
  }
  if (o.mode == "async") {
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, std::chrono::milliseconds(o.send_timeout_ms + 10000),
                     [&] { return async_done == submitted; })) {
      std::fprintf(stderr, "error: %llu async sends still unanswered\n",
                   static_cast<unsigned long long>(submitted - async_done));
    }
  }
  producer.Shutdown();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("%s: %llu sent, %llu failed to %s in %lld ms\n", o.mode.c_str(),
              static_cast<unsigned long long>(ok.load()), static_cast<unsigned long long>(failed.load()),
              o.topic.c_str(), static_cast<long long>(ms.count()));
  if (o.mode == "oneway" && ok > 0) std::printf("(oneway sends get no answer: check with `mq consume`)\n");
  return failed == 0 && submitted > 0 ? 0 : 1;
}

}  // namespace

void AddProduceCommand(CLI::App& app) {
  auto options = std::make_shared<ProduceOptions>();
  auto* cmd = app.add_subcommand("produce", "send stdin lines (one message each) or -c generated messages");
  cmd->add_option("-n,--namesrv", options->namesrv, "name servers, host:port;host:port (default NAMESRV_ADDR or 127.0.0.1:9876)");
  cmd->add_option("-t,--topic", options->topic, "topic")->required();
  cmd->add_option("--tags", options->tags, "tag of every message");
  cmd->add_option("--keys", options->keys, "keys of every message (space-separated, indexed)");
  cmd->add_option("--mode", options->mode, "sync | async | oneway")->check(CLI::IsMember({"sync", "async", "oneway"}));
  cmd->add_option("-c,--count", options->count, "send this many generated messages instead of stdin lines");
  cmd->add_option("--size", options->size, "generated body size in bytes")->check(CLI::Range(1, 4 << 20));
  cmd->add_option("-g,--group", options->group, "producer group");
  cmd->add_option("--send-timeout-ms", options->send_timeout_ms, "per send, retries included");
  cmd->add_option("--compress-over-bytes", options->compress_over_bytes,
                  "zlib-compress bodies of at least this many bytes (default 4096, 0 = never)");
  cmd->callback([options] { Exit(RunProduce(*options)); });
}

}  // namespace mq::tools::cli
