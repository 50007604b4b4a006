// Raw machine baselines that `scripts/bench.sh` divides the broker's figures by, measured in the same
// run on the same machine (no mq code involved):
//   BM_Baseline_Memcpy          memcpy bandwidth, 1 MiB blocks
//   BM_Baseline_TcpRequestResponse/<bytes>  loopback TCP round trips, one blocking echo thread per
//                               connection; Threads(N) = N connections at once (sync senders' ceiling)
//   BM_Baseline_TcpStream       loopback TCP one-way bandwidth, 64 KiB writes
//   BM_Baseline_Fdatasync       4 KiB overwrite + fdatasync in MQ_BENCH_DIR (default: temp dir)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, data, n, 0);
    if (r <= 0) return false;
    data += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// One connected loopback pair: `client` for the benchmark thread, the peer served by `echo`.
struct LoopbackPair {
  int client = -1;
  int server = -1;
  bool ok = false;

  LoopbackPair() {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (listener >= 0) ::close(listener);
      return;
    }
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    if (client >= 0 && ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      server = ::accept(listener, nullptr, nullptr);
    }
    ::close(listener);
    const int one = 1;
    if (client >= 0) ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (server >= 0) ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ok = client >= 0 && server >= 0;
  }
  ~LoopbackPair() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
};

void BM_Baseline_Memcpy(benchmark::State& state) {
  const size_t n = 1 << 20;
  std::vector<char> src(n, 'x');
  std::vector<char> dst(n, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}
BENCHMARK(BM_Baseline_Memcpy)->UseRealTime();

void BM_Baseline_TcpRequestResponse(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  LoopbackPair pair;
  if (!pair.ok) return state.SkipWithError("loopback connect failed");
  std::thread echo([&pair, n] {
    std::vector<char> buf(n);
    while (ReadAll(pair.server, buf.data(), n) && WriteAll(pair.server, buf.data(), n)) {
    }
  });
  std::vector<char> buf(n, 'r');
  for (auto _ : state) {
    if (!WriteAll(pair.client, buf.data(), n) || !ReadAll(pair.client, buf.data(), n)) {
      state.SkipWithError("round trip failed");
      break;
    }
  }
  ::shutdown(pair.client, SHUT_RDWR);
  echo.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_TcpRequestResponse)->Arg(128)->Arg(1024)->Threads(1)->Threads(32)->Threads(64)->UseRealTime();

void BM_Baseline_TcpStream(benchmark::State& state) {
  const size_t n = 64 << 10;
  LoopbackPair pair;
  if (!pair.ok) return state.SkipWithError("loopback connect failed");
  std::thread sink([&pair] {
    std::vector<char> buf(256 << 10);
    while (::recv(pair.server, buf.data(), buf.size(), 0) > 0) {
    }
  });
  std::vector<char> buf(n, 's');
  for (auto _ : state) {
    if (!WriteAll(pair.client, buf.data(), n)) {
      state.SkipWithError("write failed");
      break;
    }
  }
  ::shutdown(pair.client, SHUT_WR);
  sink.join();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}
BENCHMARK(BM_Baseline_TcpStream)->UseRealTime();

void BM_Baseline_Fdatasync(benchmark::State& state) {
  const char* parent = std::getenv("MQ_BENCH_DIR");
  const std::string path =
      (std::filesystem::path(parent ? parent : std::filesystem::temp_directory_path().string()) /
       ("mq-fdatasync-" + std::to_string(::getpid()) + "-" + std::to_string(state.thread_index())))
          .string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return state.SkipWithError("open failed");
  std::vector<char> block(4096, 'f');
  uint64_t at = 0;
  for (auto _ : state) {
    // Appends within a preallocated 64 MiB window, like a commit-log segment being filled.
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(at)) != 4096 || ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    at = (at + 4096) % (64 << 20);
  }
  ::close(fd);
  ::unlink(path.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_Fdatasync)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
