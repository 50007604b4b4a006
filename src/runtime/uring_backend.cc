// io_uring IoBackend (see /work/shared/guide/IO_URING.md). One ring per shard, created on the
// shard thread (SINGLE_ISSUER|DEFER_TASKRUN); one io_uring_enter per Poll; multishot accept and
// multishot recv on a per-backend provided-buffer ring; one SENDMSG per send.
//
// user_data = generation << 32 | slot. Op records live in a deque (stable addresses: the kernel
// reads msghdr/sockaddr/timespec by pointer), are reused through a free list, and bump their
// generation on every (re-)arm, so a CQE whose generation differs from its slot's is stale and
// dropped. Generation 0 is reserved for the backend's own SQEs (cancels, the wake read).
//
// Close(fd): every op of fd is marked dead (no callback ever runs for it again) and cancelled by
// user_data; the fd itself is closed only when the last op has posted its final CQE, so the
// kernel cannot hand the fd number to a new socket while old ops may still complete on it.
#include "runtime/uring_backend.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "base/assert.h"
#include "base/log.h"

namespace mq::runtime {
namespace {

// Not in liburing 2.3's headers (kernel 6.2): the ZC notification reports whether it copied.
constexpr uint16_t kSendZcReportUsage = 1U << 3;
constexpr uint32_t kNotifUsageZcCopied = 1U << 31;

enum Kind : uint8_t { kAccept = 0, kRecv, kSend, kConnect, kKindCount };
constexpr uint32_t kNoOp = UINT32_MAX;
constexpr uint64_t kIgnoreUserData = 0;  // generation 0: cancels; result irrelevant
constexpr uint64_t kWakeUserData = 1;    // generation 0, slot 1: the eventfd read
constexpr uint16_t kBufGroup = 0;        // buffer group ids are per ring
constexpr int kAcceptBackoffMs = 100;    // EMFILE & co: don't spin re-arming accept

struct Op {
  uint32_t gen = 0;
  Kind kind = kAccept;
  bool live = false;     // the kernel holds an SQE (or a multishot) with this op's user_data
  bool dead = false;     // Close() ran: drop every CQE, never call the sink
  bool backoff = false;  // accept waiting on a timeout before re-arming
  int fd = -1;
  void* sink = nullptr;
  uint32_t next_free = kNoOp;
  ssize_t zc_result = 0;
  struct msghdr msg {};
  struct sockaddr_storage addr {};
  socklen_t addr_len = 0;
  struct __kernel_timespec ts {};
};

struct FdState {
  uint32_t ops[kKindCount] = {kNoOp, kNoOp, kNoOp, kNoOp};
  bool closing = false;
  bool Empty() const { return std::all_of(std::begin(ops), std::end(ops), [](uint32_t s) { return s == kNoOp; }); }
};

struct Cqe { uint64_t user_data; int32_t res; uint32_t flags; };

class UringBackend final : public IoBackend {
 public:
  explicit UringBackend(const UringOptions& o) : options_(o) {}
  ~UringBackend() override;
  Status Init();

  const char* name() const override { return "io_uring"; }
  void Accept(int listen_fd, AcceptSink* sink) override;
  void Recv(int fd, RecvSink* sink) override;
  void SendMsg(int fd, const struct iovec* iov, size_t iov_count, SendSink* sink) override;
  void Connect(int fd, const struct sockaddr* addr, socklen_t addr_len, ConnectSink* sink) override;
  void Close(int fd) override;
  void Poll(int64_t timeout_ms) override;
  void Wake() override;

  UringStats stats() const { return stats_; }

 private:
  io_uring_sqe* GetSqe();
  uint32_t NewOp(int fd, Kind kind, void* sink);
  void RetireOp(uint32_t slot);
  static uint64_t UserData(uint32_t slot, const Op& op) { return (uint64_t{op.gen} << 32) | slot; }
  void Arm(uint32_t slot);
  void ArmWakeRead();
  FdState& Fd(int fd);
  void Reap();
  void Dispatch(const Cqe& cqe);
  void OnAcceptCqe(uint32_t slot, const Cqe& cqe);
  void OnRecvCqe(uint32_t slot, const Cqe& cqe);
  void ReturnBuffer(uint16_t bid);

  UringOptions options_;
  UringStats stats_;
  struct io_uring ring_ {};
  bool ring_ok_ = false;
  bool stopping_ = false;
  std::deque<Op> ops_;
  uint32_t free_head_ = kNoOp;
  uint32_t live_ops_ = 0;
  std::vector<FdState> fds_;
  // Provided buffers: the ring array is mmap'd (pinned by the kernel), the data is plain heap.
  struct io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  uint8_t* buf_data_ = nullptr;
  // Wake: eventfd with a read always armed on the ring.
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  std::atomic<bool> parked_{false};
  std::atomic<bool> wake_requested_{false};
  std::atomic<bool> wake_written_{false};
};

Status UringBackend::Init() {
  struct io_uring_params params {};
  int ret = uring_detail::SetupRing(&ring_, options_.sq_entries, options_.cq_entries, &params);
  if (ret < 0) return Status::SystemError(std::string("io_uring setup failed: ") + strerror(-ret));
  ring_ok_ = true;
  stats_.setup_flags = params.flags;
  if (!(params.features & IORING_FEAT_NODROP) || !(params.features & IORING_FEAT_EXT_ARG)) {
    return Status::SystemError("io_uring lacks IORING_FEAT_NODROP/EXT_ARG (kernel too old)");
  }
  ret = io_uring_register_ring_fd(&ring_);
  if (ret < 0) MQ_LOG_WARN("io_uring_register_ring_fd: {} (continuing)", strerror(-ret));

  const uint32_t n = options_.recv_buf_count;
  MQ_ASSERT_MSG(n > 0 && n <= 32768 && (n & (n - 1)) == 0, "recv_buf_count: a power of two <= 32768");
  MQ_ASSERT(options_.recv_buf_size_bytes > 0);
  buf_ring_bytes_ = n * sizeof(struct io_uring_buf);
  void* mem = mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return Status::SystemError("mmap of the io_uring buffer ring failed");
  buf_ring_ = static_cast<struct io_uring_buf_ring*>(mem);
  struct io_uring_buf_reg reg {};
  reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
  reg.ring_entries = n;
  reg.bgid = kBufGroup;
  ret = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (ret < 0) {
    return Status::SystemError(std::string("io_uring_register_buf_ring: ") + strerror(-ret) +
                               (ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low? try `ulimit -l`)" : ""));
  }
  const size_t data_bytes = (size_t{n} * options_.recv_buf_size_bytes + 4095) & ~size_t{4095};  // aligned_alloc
  buf_data_ = static_cast<uint8_t*>(aligned_alloc(4096, data_bytes));
  if (buf_data_ == nullptr) return Status::SystemError("out of memory for io_uring recv buffers");
  io_uring_buf_ring_init(buf_ring_);
  const int mask = io_uring_buf_ring_mask(n);
  for (uint32_t i = 0; i < n; ++i) {
    io_uring_buf_ring_add(buf_ring_, buf_data_ + size_t{i} * options_.recv_buf_size_bytes,
                          options_.recv_buf_size_bytes, static_cast<uint16_t>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring_, static_cast<int>(n));

  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::SystemError(std::string("eventfd: ") + strerror(errno));
  ArmWakeRead();
  return Status::Ok();
}

UringBackend::~UringBackend() {
  if (ring_ok_) {
    // Stop the kernel writing into our buffers and msghdrs before freeing them: cancel all,
    // drain the final CQEs (no callbacks), bounded in time. Needs the owner thread
    // (SINGLE_ISSUER); if submitting fails we skip the drain and let ring teardown cancel.
    for (Op& op : ops_) op.dead = true;
    stopping_ = true;  // and no wake-read re-arm
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe != nullptr) {
      io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
      io_uring_sqe_set_data64(sqe, kIgnoreUserData);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      bool ok = io_uring_submit(&ring_) >= 0;
      while (ok && live_ops_ > 0 && std::chrono::steady_clock::now() < deadline) {
        struct __kernel_timespec ts {0, 10'000'000};
        struct io_uring_cqe* cqe = nullptr;
        int ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        if (ret < 0 && ret != -ETIME && ret != -EINTR) break;
        Reap();
      }
    }
    io_uring_queue_exit(&ring_);  // also drops the buffer ring registration
  }
  for (size_t fd = 0; fd < fds_.size(); ++fd) {
    if (fds_[fd].closing) ::close(static_cast<int>(fd));
  }
  if (buf_ring_ != nullptr) munmap(buf_ring_, buf_ring_bytes_);
  free(buf_data_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

io_uring_sqe* UringBackend::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // SQ full: hand what we have to the kernel (never waits) and take a fresh slot.
    int ret = io_uring_submit(&ring_);
    if (ret < 0) MQ_LOG_ERROR("io_uring_submit with a full SQ: {}", strerror(-ret));
    sqe = io_uring_get_sqe(&ring_);
  }
  MQ_ASSERT_MSG(sqe != nullptr, "io_uring SQ still full after submit");
  return sqe;
}

FdState& UringBackend::Fd(int fd) {
  MQ_ASSERT(fd >= 0);
  if (static_cast<size_t>(fd) >= fds_.size()) fds_.resize(static_cast<size_t>(fd) * 2 + 64);
  return fds_[fd];
}

uint32_t UringBackend::NewOp(int fd, Kind kind, void* sink) {
  FdState& st = Fd(fd);
  MQ_ASSERT_MSG(!st.closing, "op on an fd after Close()");
  MQ_ASSERT_MSG(st.ops[kind] == kNoOp, "a second op of the same kind on one fd");
  uint32_t slot;
  if (free_head_ != kNoOp) {
    slot = free_head_;
    free_head_ = ops_[slot].next_free;
  } else {
    slot = static_cast<uint32_t>(ops_.size());
    ops_.emplace_back();
  }
  Op& op = ops_[slot];
  const uint32_t gen = op.gen;
  op = Op{};
  op.gen = gen;
  op.kind = kind;
  op.fd = fd;
  op.sink = sink;
  st.ops[kind] = slot;
  return slot;
}

// The op is finished for good: free its slot and, if Close() is waiting for it, close the fd.
void UringBackend::RetireOp(uint32_t slot) {
  Op& op = ops_[slot];
  MQ_ASSERT(!op.live);
  FdState& st = fds_[op.fd];
  MQ_ASSERT(st.ops[op.kind] == slot);
  st.ops[op.kind] = kNoOp;
  if (st.closing && st.Empty()) {
    st.closing = false;
    ::close(op.fd);
  }
  op.sink = nullptr;
  op.fd = -1;
  op.next_free = free_head_;
  free_head_ = slot;
}

void UringBackend::Arm(uint32_t slot) {
  Op& op = ops_[slot];
  MQ_ASSERT(!op.live && !op.dead);
  if (++op.gen == 0) op.gen = 1;  // generation 0 is the backend's own
  io_uring_sqe* sqe = GetSqe();
  switch (op.kind) {
    case kAccept:
      if (op.backoff) {
        io_uring_prep_timeout(sqe, &op.ts, 0, 0);
      } else {
        io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_CLOEXEC);
      }
      break;
    case kRecv:
      io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, 0);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kBufGroup;
      break;
    case kSend: {
      const int flags = MSG_NOSIGNAL | (options_.send_waitall ? MSG_WAITALL : 0);
      if (options_.send_zc) {
        io_uring_prep_sendmsg_zc(sqe, op.fd, &op.msg, flags);
        sqe->ioprio |= kSendZcReportUsage;
      } else {
        io_uring_prep_sendmsg(sqe, op.fd, &op.msg, flags);
      }
      break;
    }
    case kConnect:
      io_uring_prep_connect(sqe, op.fd, reinterpret_cast<struct sockaddr*>(&op.addr), op.addr_len);
      break;
    default:
      MQ_FATAL("bad op kind");
  }
  io_uring_sqe_set_data64(sqe, UserData(slot, op));
  op.live = true;
  ++live_ops_;
}

void UringBackend::ArmWakeRead() {
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, kWakeUserData);
}

void UringBackend::Accept(int listen_fd, AcceptSink* sink) { Arm(NewOp(listen_fd, kAccept, sink)); }

void UringBackend::Recv(int fd, RecvSink* sink) { Arm(NewOp(fd, kRecv, sink)); }

void UringBackend::SendMsg(int fd, const struct iovec* iov, size_t iov_count, SendSink* sink) {
  const uint32_t slot = NewOp(fd, kSend, sink);
  ops_[slot].msg.msg_iov = const_cast<struct iovec*>(iov);
  ops_[slot].msg.msg_iovlen = iov_count;
  Arm(slot);
}

void UringBackend::Connect(int fd, const struct sockaddr* addr, socklen_t addr_len, ConnectSink* sink) {
  MQ_ASSERT(addr_len <= sizeof(sockaddr_storage));
  const uint32_t slot = NewOp(fd, kConnect, sink);
  memcpy(&ops_[slot].addr, addr, addr_len);
  ops_[slot].addr_len = addr_len;
  Arm(slot);
}

void UringBackend::Close(int fd) {
  FdState& st = Fd(fd);
  if (st.closing) return;  // already closing: the fd is ours now
  st.closing = true;
  for (uint32_t slot : st.ops) {
    if (slot == kNoOp) continue;
    Op& op = ops_[slot];
    op.dead = true;
    if (!op.live) continue;  // inside its own final callback: retired right after it
    // Cancel by user_data rather than by fd: it also reaches an accept's backoff timeout.
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel64(sqe, UserData(slot, op), 0);
    io_uring_sqe_set_data64(sqe, kIgnoreUserData);
  }
  if (st.Empty()) {
    st.closing = false;
    ::close(fd);
  }
}

void UringBackend::Poll(int64_t timeout_ms) {
  int ret;
  if (timeout_ms == 0 || io_uring_cq_ready(&ring_) > 0) {
    ret = io_uring_submit_and_get_events(&ring_);
  } else {
    // Dekker with Wake(): either we see wake_requested_ or Wake() sees parked_.
    parked_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (wake_requested_.load(std::memory_order_relaxed)) {
      ret = io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ms < 0) {
      ret = io_uring_submit_and_wait(&ring_, 1);
    } else {
      struct __kernel_timespec ts {};
      ts.tv_sec = timeout_ms / 1000;
      ts.tv_nsec = (timeout_ms % 1000) * 1'000'000;
      struct io_uring_cqe* cqe = nullptr;
      // liburing 2.3: returns the number submitted, or -ETIME on timeout.
      ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    parked_.store(false, std::memory_order_relaxed);
  }
  // Acquire pairs with Wake()'s store: whatever was published before Wake() is visible now.
  wake_requested_.exchange(false, std::memory_order_acq_rel);
  if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
    MQ_LOG_ERROR("io_uring_enter: {}", strerror(-ret));
  }
  Reap();
}

void UringBackend::Wake() {
  wake_requested_.store(true, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!parked_.load(std::memory_order_relaxed)) return;
  if (wake_written_.exchange(true, std::memory_order_relaxed)) return;  // a write is pending
  const uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN means the counter is saturated: a wake is pending anyway
}

void UringBackend::Reap() {
  // Copy CQEs out before running callbacks: callbacks may submit (and, on a full SQ, enter).
  constexpr unsigned kBatch = 256;
  Cqe batch[kBatch];
  uint32_t budget = options_.cq_entries * 2;  // bound the work per Poll
  for (;;) {
    unsigned head, count = 0;
    struct io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      batch[count++] = Cqe{cqe->user_data, cqe->res, cqe->flags};
      if (count == kBatch) break;
    }
    if (count == 0) {
      // NODROP keeps overflowed CQEs in the kernel; flush them back without sleeping.
      if (!io_uring_cq_has_overflow(&ring_) || budget == 0) return;
      io_uring_get_events(&ring_);
      if (io_uring_cq_ready(&ring_) == 0) return;
      continue;
    }
    io_uring_cq_advance(&ring_, count);
    for (unsigned i = 0; i < count; ++i) Dispatch(batch[i]);
    budget = budget > count ? budget - count : 0;
    if (budget == 0) return;
  }
}

void UringBackend::ReturnBuffer(uint16_t bid) {
  io_uring_buf_ring_add(buf_ring_, buf_data_ + size_t{bid} * options_.recv_buf_size_bytes,
                        options_.recv_buf_size_bytes, bid, io_uring_buf_ring_mask(options_.recv_buf_count), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
}

void UringBackend::Dispatch(const Cqe& cqe) {
  const uint32_t gen = static_cast<uint32_t>(cqe.user_data >> 32);
  const uint32_t slot = static_cast<uint32_t>(cqe.user_data);
  if (gen == 0) {
    if (cqe.user_data == kWakeUserData && cqe.res != -ECANCELED && !stopping_) {
      // Cleared only once the write was consumed: while set, a wake CQE is on its way, so a
      // Wake() that skips writing cannot leave a parked Poll asleep.
      wake_written_.store(false, std::memory_order_relaxed);
      ArmWakeRead();
    }
    return;
  }
  const bool more = cqe.flags & IORING_CQE_F_MORE;
  MQ_ASSERT(slot < ops_.size());
  Op& op = ops_[slot];
  if (op.gen != gen || !op.live) {
    // Cannot happen with one SQE per generation, but never let a stray CQE reach a sink.
    if (cqe.flags & IORING_CQE_F_BUFFER) ReturnBuffer(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    ++stats_.stale_cqes;
    return;
  }
  if (!more) {
    op.live = false;
    --live_ops_;
  }
  if (op.dead) {
    ++stats_.stale_cqes;
    if (op.kind == kRecv && (cqe.flags & IORING_CQE_F_BUFFER)) {
      ReturnBuffer(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    }
    if (op.kind == kAccept && !op.backoff && cqe.res >= 0) ::close(cqe.res);  // nobody will own it
    if (!op.live) RetireOp(slot);
    return;
  }
  switch (op.kind) {
    case kAccept: return OnAcceptCqe(slot, cqe);
    case kRecv: return OnRecvCqe(slot, cqe);
    case kSend: {
      auto* sink = static_cast<SendSink*>(op.sink);
      if (cqe.flags & IORING_CQE_F_NOTIF) {  // SENDMSG_ZC: the pages are ours again
        if (static_cast<uint32_t>(cqe.res) & kNotifUsageZcCopied) ++stats_.zc_copied;
        const ssize_t result = op.zc_result;
        RetireOp(slot);
        sink->OnSendDone(result);
        return;
      }
      if (more) {  // SENDMSG_ZC result; the caller's memory stays pinned until the notification
        op.zc_result = cqe.res;
        return;
      }
      RetireOp(slot);  // before the callback: it may send again on this fd
      sink->OnSendDone(cqe.res);
      return;
    }
    case kConnect: {
      auto* sink = static_cast<ConnectSink*>(op.sink);
      RetireOp(slot);
      sink->OnConnect(cqe.res < 0 ? -cqe.res : 0);
      return;
    }
    default:
      MQ_FATAL("bad op kind");
  }
}

void UringBackend::OnAcceptCqe(uint32_t slot, const Cqe& cqe) {
  Op& op = ops_[slot];
  auto* sink = static_cast<AcceptSink*>(op.sink);
  if (op.backoff) {  // the backoff timeout fired: accept again
    op.backoff = false;
    Arm(slot);
    return;
  }
  if (cqe.res >= 0) {
    sink->OnAccept(cqe.res);
  } else if (cqe.res != -EAGAIN && cqe.res != -EINTR) {
    sink->OnAcceptError(-cqe.res);
  }
  if (op.live) return;  // multishot still running
  if (op.dead) {        // closed by the callback
    RetireOp(slot);
    return;
  }
  ++stats_.rearms;
  const int err = -cqe.res;
  if (err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS) {
    op.backoff = true;
    op.ts = {0, kAcceptBackoffMs * 1'000'000LL};
  }
  Arm(slot);
}

void UringBackend::OnRecvCqe(uint32_t slot, const Cqe& cqe) {
  Op& op = ops_[slot];
  auto* sink = static_cast<RecvSink*>(op.sink);
  if (cqe.res > 0) {
    MQ_ASSERT(cqe.flags & IORING_CQE_F_BUFFER);
    const auto bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    sink->OnRecv(buf_data_ + size_t{bid} * options_.recv_buf_size_bytes, static_cast<size_t>(cqe.res));
    ReturnBuffer(bid);  // right away: never hold pool buffers across callbacks
  } else if (cqe.res == -ENOBUFS) {
    ++stats_.enobufs_rearms;  // pool exhausted; unread bytes wait in the socket
  } else if (cqe.res != -EAGAIN && cqe.res != -EINTR) {
    // EOF or a real error: receiving is over. F_MORE is never set here.
    MQ_ASSERT(!op.live);
    RetireOp(slot);
    sink->OnRecvClosed(cqe.res == 0 ? 0 : -cqe.res);
    return;
  }
  if (op.live) return;
  if (op.dead) {
    RetireOp(slot);
    return;
  }
  ++stats_.rearms;
  Arm(slot);
}

}  // namespace

Result<std::unique_ptr<IoBackend>> CreateUringBackend(const UringOptions& options) {
  auto backend = std::make_unique<UringBackend>(options);
  Status st = backend->Init();
  if (!st.ok()) return st;
  return std::unique_ptr<IoBackend>(std::move(backend));
}

Result<std::unique_ptr<IoBackend>> CreateUringBackend() { return CreateUringBackend(UringOptions{}); }

UringStats GetUringStats(const IoBackend& backend) {
  MQ_ASSERT(strcmp(backend.name(), "io_uring") == 0);
  return static_cast<const UringBackend&>(backend).stats();
}

}  // namespace mq::runtime
