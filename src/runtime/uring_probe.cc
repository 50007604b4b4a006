// Ring setup shared with the backend, and ProbeUring(): the start-up diagnosis (IO_URING.md §7). Sets up a ring the way the backend does,
// checks the features and opcodes the backend uses, registers a buffer ring, and runs a smoke
// test (NOP + a socketpair send received by a multishot recv on a provided buffer). Every failure
// becomes a Status whose remark says why and how to fix it. Costs well under 10 ms.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "runtime/uring_backend.h"

namespace mq::runtime {
namespace {

std::string KernelRelease() {
  struct utsname u {};
  return uname(&u) == 0 ? std::string(u.release) : std::string("?");
}

std::string ReadSysctl(const char* path) {
  std::ifstream in(path);
  std::string v;
  if (!(in >> v)) return "";
  return v;
}

std::string MemlockText() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) return "unknown";
  if (rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return std::to_string(rl.rlim_cur / 1024) + " KiB";
}

Status Fail(const std::string& why) {
  return Status::SystemError("io_uring unavailable (kernel " + KernelRelease() + "): " + why);
}

Status ExplainSetupError(int err) {
  switch (err) {
    case ENOSYS:
      return Fail("io_uring_setup returned ENOSYS: the kernel lacks io_uring (CONFIG_IO_URING; mq needs "
                  "Linux >= 6.0) or a seccomp filter answers ENOSYS. Fix: a newer kernel, or allow "
                  "io_uring_setup/io_uring_enter/io_uring_register in the seccomp profile; else use --io-backend=epoll");
    case EPERM: {
      const std::string disabled = ReadSysctl("/proc/sys/kernel/io_uring_disabled");
      if (disabled == "2") {
        return Fail("EPERM: kernel.io_uring_disabled=2 disables io_uring for everyone. Fix: "
                    "`sysctl -w kernel.io_uring_disabled=0`");
      }
      if (disabled == "1") {
        return Fail("EPERM: kernel.io_uring_disabled=1 allows io_uring only to CAP_SYS_ADMIN or members of "
                    "kernel.io_uring_group (gid " + ReadSysctl("/proc/sys/kernel/io_uring_group") +
                    "). Fix: add the broker's user to that group, or `sysctl -w kernel.io_uring_disabled=0`");
      }
      return Fail("EPERM with kernel.io_uring_disabled=" + (disabled.empty() ? std::string("n/a") : disabled) +
                  ": most likely a container seccomp profile (Docker >= 25 and containerd >= 1.7.12 drop "
                  "io_uring_* from their default profiles). Fix: run with a seccomp profile allowing "
                  "io_uring_setup/io_uring_enter/io_uring_register (docker --security-opt seccomp=<file>)");
    }
    case ENOMEM:
      return Fail("ENOMEM: ring and buffer-ring memory count against RLIMIT_MEMLOCK, currently " + MemlockText() +
                  ". Fix: raise it (`ulimit -l unlimited`, LimitMEMLOCK=infinity in the systemd unit, "
                  "docker --ulimit memlock=-1)");
    case EINVAL:
      return Fail("EINVAL for every flag set: the kernel is too old for the setup mq uses (needs >= 6.0)");
    default:
      return Fail(std::string("io_uring_setup failed: ") + strerror(err));
  }
}

// Everything after the ring exists: features, opcodes, buffer ring, smoke test.
Status CheckRing(struct io_uring* ring, const struct io_uring_params& params) {
  struct { uint32_t bit; const char* name; } const kFeatures[] = {
      {IORING_FEAT_NODROP, "IORING_FEAT_NODROP (5.5)"},
      {IORING_FEAT_EXT_ARG, "IORING_FEAT_EXT_ARG (5.11)"},
      {IORING_FEAT_FAST_POLL, "IORING_FEAT_FAST_POLL (5.7)"},
  };
  for (const auto& f : kFeatures) {
    if (!(params.features & f.bit)) return Fail(std::string("missing ") + f.name + "; needs Linux >= 6.0");
  }
  struct io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) return Fail("IORING_REGISTER_PROBE failed (kernel < 5.6)");
  struct { int op; const char* name; } const kOps[] = {
      {IORING_OP_NOP, "NOP"},       {IORING_OP_ACCEPT, "ACCEPT"},   {IORING_OP_RECV, "RECV"},
      {IORING_OP_SEND, "SEND"},     {IORING_OP_SENDMSG, "SENDMSG"}, {IORING_OP_CONNECT, "CONNECT"},
      {IORING_OP_READ, "READ"},     {IORING_OP_TIMEOUT, "TIMEOUT"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
  };
  std::string missing;
  for (const auto& o : kOps) {
    if (!io_uring_opcode_supported(probe, o.op)) missing += std::string(missing.empty() ? "" : ", ") + o.name;
  }
  io_uring_free_probe(probe);
  if (!missing.empty()) return Fail("kernel lacks opcodes: " + missing + "; needs Linux >= 6.0");

  // Provided-buffer ring (5.19), which also counts against RLIMIT_MEMLOCK.
  const UringOptions defaults;
  constexpr uint32_t kProbeBufSize = 64;
  const size_t ring_bytes = defaults.recv_buf_count * sizeof(struct io_uring_buf);
  void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Fail("mmap failed");
  auto* br = static_cast<struct io_uring_buf_ring*>(mem);
  struct io_uring_buf_reg reg {};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = defaults.recv_buf_count;
  reg.bgid = 0;
  int ret = io_uring_register_buf_ring(ring, &reg, 0);
  if (ret < 0) {
    munmap(mem, ring_bytes);
    if (ret == -ENOMEM) return ExplainSetupError(ENOMEM);
    return Fail(std::string("io_uring_register_buf_ring: ") + strerror(-ret) + "; needs Linux >= 5.19");
  }
  static thread_local uint8_t bufs[2][kProbeBufSize];
  io_uring_buf_ring_init(br);
  for (int i = 0; i < 2; ++i) {
    io_uring_buf_ring_add(br, bufs[i], kProbeBufSize, static_cast<uint16_t>(i),
                          io_uring_buf_ring_mask(defaults.recv_buf_count), i);
  }
  io_uring_buf_ring_advance(br, 2);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    munmap(mem, ring_bytes);
    return Fail(std::string("socketpair: ") + strerror(errno));
  }
  static const char kPing[] = "ping";
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, 1);
  sqe = io_uring_get_sqe(ring);
  io_uring_prep_recv_multishot(sqe, sv[1], nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  io_uring_sqe_set_data64(sqe, 2);
  sqe = io_uring_get_sqe(ring);
  io_uring_prep_send(sqe, sv[0], kPing, 4, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, 3);

  bool nop_ok = false, send_ok = false, recv_ok = false;
  std::string detail;
  for (int round = 0; round < 10 && !(nop_ok && send_ok && recv_ok) && detail.empty(); ++round) {
    struct __kernel_timespec ts {0, 5'000'000};
    struct io_uring_cqe* cqe = nullptr;
    ret = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
    if (ret < 0 && ret != -ETIME && ret != -EINTR) {
      detail = std::string("io_uring_enter: ") + strerror(-ret);
      break;
    }
    unsigned head, seen = 0;
    io_uring_for_each_cqe(ring, head, cqe) {
      ++seen;
      const uint64_t ud = cqe->user_data;
      if (ud == 1) nop_ok = cqe->res == 0;
      if (ud == 3) send_ok = cqe->res == 4;
      if (ud == 2) {
        const unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        if (cqe->res == 4 && (cqe->flags & IORING_CQE_F_BUFFER) && bid < 2 && memcmp(bufs[bid], kPing, 4) == 0) {
          recv_ok = true;
        } else {
          detail = "multishot recv with a provided buffer failed (res " + std::to_string(cqe->res) +
                   "); needs Linux >= 6.0";
        }
      }
    }
    io_uring_cq_advance(ring, seen);
  }
  ::close(sv[0]);
  ::close(sv[1]);
  if (detail.empty() && !(nop_ok && send_ok && recv_ok)) {
    detail = std::string("smoke test incomplete (nop ") + (nop_ok ? "ok" : "failed") + ", send " +
             (send_ok ? "ok" : "failed") + ", recv " + (recv_ok ? "ok" : "failed") + ")";
  }
  // The caller tears the ring down; the kernel keeps the buffer-ring pages pinned until then.
  munmap(mem, ring_bytes);
  if (!detail.empty()) return Fail(detail);
  return Status::Ok();
}

}  // namespace

namespace uring_detail {
int SetupRing(struct io_uring* ring, uint32_t sq_entries, uint32_t cq_entries, struct io_uring_params* params) {
  static constexpr uint32_t kFlagSets[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
      IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
      0,
  };
  int ret = -EINVAL;
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (uint32_t flags : kFlagSets) {
      *params = io_uring_params{};
      params->flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
      params->cq_entries = cq_entries;
      ret = io_uring_queue_init_params(sq_entries, ring, params);
      if (ret != -EINVAL) break;
    }
    if (ret != -ENOMEM) return ret;
    sq_entries = sq_entries / 4 > 32 ? sq_entries / 4 : 32;  // RLIMIT_MEMLOCK: try smaller once
    cq_entries = cq_entries / 4 > 256 ? cq_entries / 4 : 256;
  }
  return ret;
}
}  // namespace uring_detail

Status ProbeUring() {
  const UringOptions defaults;
  struct io_uring ring {};
  struct io_uring_params params {};
  const int ret = uring_detail::SetupRing(&ring, defaults.sq_entries, defaults.cq_entries, &params);
  if (ret < 0) return ExplainSetupError(-ret);
  Status st = CheckRing(&ring, params);
  io_uring_queue_exit(&ring);
  return st;
}

}  // namespace mq::runtime
