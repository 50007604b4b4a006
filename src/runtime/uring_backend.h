// io_uring IoBackend: tuning knobs, counters, and the ring setup shared with ProbeUring().
// Most code only needs io_backend.h; this header is for the shard set (options), tests and
// benchmarks (small pools, counters).
#pragma once
#include <liburing.h>

#include <cstdint>
#include <memory>

#include "runtime/io_backend.h"

namespace mq::runtime {

struct UringOptions {
  uint32_t sq_entries = 512;
  uint32_t cq_entries = 8192;           // multishot bursts: several CQEs per op
  uint32_t recv_buf_count = 1024;       // provided buffers per backend; a power of two <= 32768
  uint32_t recv_buf_size_bytes = 16384; // bytes per provided buffer
  bool send_waitall = true;             // MSG_WAITALL: the kernel retries short sends itself
  bool send_zc = false;                 // IORING_OP_SENDMSG_ZC (worth it only on real NICs)
};

struct UringStats {
  uint64_t enobufs_rearms = 0;  // multishot recvs stopped by an empty buffer pool (pool too small)
  uint64_t stale_cqes = 0;      // CQEs of closed/cancelled ops, dropped
  uint64_t rearms = 0;          // multishot accept/recv re-armed after F_MORE was cleared
  uint64_t zc_copied = 0;       // SENDMSG_ZC notifications saying the kernel copied anyway
  uint32_t setup_flags = 0;     // IORING_SETUP_* actually in use
};

Result<std::unique_ptr<IoBackend>> CreateUringBackend(const UringOptions& options);
// Counters of a backend made by CreateUringBackend (asserts that it is one).
UringStats GetUringStats(const IoBackend& backend);

namespace uring_detail {
// Creates a ring with the best flag set this kernel accepts: SINGLE_ISSUER|DEFER_TASKRUN, then
// COOP_TASKRUN|TASKRUN_FLAG, then none (each step only on -EINVAL); on -ENOMEM retries once at
// a quarter of the size. Returns 0 or -errno; params receives what the kernel reported.
int SetupRing(struct io_uring* ring, uint32_t sq_entries, uint32_t cq_entries,
              struct io_uring_params* params);
}  // namespace uring_detail

}  // namespace mq::runtime
