// Disk usage of the partition holding a store path (statvfs), for retention (6.9):
// diskMaxUsedSpaceRatio (75 %) triggers deletion, 85 % forced cleaning, and above 90 %
// (diskSpaceWarningLevelRatio) the store refuses writes until usage drops again.
//
// DiskSpaceGuard: Refresh() belongs to the cleaner (every cleanResourceInterval, a blocking
// syscall: not on a shard's hot path); full() is one atomic load for the append path.
#pragma once
#include <atomic>
#include <functional>
#include <string>

#include "base/status.h"

namespace mq::store {

// Used fraction (0..1) of the file system holding `path`: (total - free) / total, as Java's
// File.getTotalSpace/getFreeSpace compute it.
Result<double> DiskUsedRatio(const std::string& path);

class DiskSpaceGuard {
 public:
  using Probe = std::function<Result<double>()>;
  // `probe` replaces statvfs in tests.
  DiskSpaceGuard(std::string path, double warning_ratio = 0.90, Probe probe = nullptr);

  // Measures; marks the disk full above warning_ratio and clears the mark when usage is back below.
  // Returns the measured ratio (or -1 when it could not be measured: the mark is left as it was).
  double Refresh();
  bool full() const { return full_.load(std::memory_order_acquire); }
  double last_ratio() const { return last_ratio_.load(std::memory_order_acquire); }

 private:
  std::string path_;
  double warning_ratio_;
  Probe probe_;
  std::atomic<bool> full_{false};
  std::atomic<double> last_ratio_{0};
};

}  // namespace mq::store
