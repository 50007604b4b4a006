// Disk usage; see disk_usage.h.
#include "store/disk_usage.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace mq::store {

Result<double> DiskUsedRatio(const std::string& path) {
  struct statvfs vfs {};
  if (::statvfs(path.c_str(), &vfs) != 0) {
    return Status::SystemError("statvfs " + path + ": " + std::strerror(errno));
  }
  const double total = static_cast<double>(vfs.f_blocks) * static_cast<double>(vfs.f_frsize);
  const double free_bytes = static_cast<double>(vfs.f_bfree) * static_cast<double>(vfs.f_frsize);
  if (total <= 0) return Status::SystemError("statvfs " + path + ": zero-sized file system");
  const double ratio = (total - free_bytes) / total;
  MQ_ASSERT(ratio >= 0.0 && ratio <= 1.0);
  return ratio;
}

DiskSpaceGuard::DiskSpaceGuard(std::string path, double warning_ratio, Probe probe)
    : path_(std::move(path)), warning_ratio_(warning_ratio), probe_(std::move(probe)) {
  MQ_ASSERT(warning_ratio_ > 0.0 && warning_ratio_ <= 1.0);
}

double DiskSpaceGuard::Refresh() {
  Result<double> r = probe_ ? probe_() : DiskUsedRatio(path_);
  if (!r.ok()) {
    MQ_LOG_WARN("disk usage of {}: {}", path_, r.status().ToString());
    return -1;
  }
  const double ratio = r.value();
  last_ratio_.store(ratio, std::memory_order_release);
  const bool now_full = ratio > warning_ratio_;
  if (full_.exchange(now_full, std::memory_order_acq_rel) != now_full) {
    if (now_full) {
      MQ_LOG_ERROR("disk of {} is {:.1f}% used (> {:.0f}%): refusing writes", path_, ratio * 100, warning_ratio_ * 100);
    } else {
      MQ_LOG_INFO("disk of {} is {:.1f}% used: accepting writes again", path_, ratio * 100);
    }
  }
  return ratio;
}

}  // namespace mq::store
