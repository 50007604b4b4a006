// The marker files of a store root (spec 6.6): `abort` exists while a store runs (found at start:
// the last exit was abnormal) and `lock`, held locked on byte 0 for the store's lifetime so a second
// store (process or in-process instance) on the same directory fails with a clear error. The lock
// is an open-file-description lock (F_OFD_SETLK): it conflicts with Java's FileChannel.lock of the
// same byte in another process, and unlike a classic fcntl lock it also refuses a second opener in
// this process. Start-up and shutdown only (blocking file system calls).
#pragma once
#include <memory>
#include <string>

#include "base/status.h"

namespace mq::store {

bool AbortFileExists(const std::string& root_dir);
// fsync of a directory: its new entries (created, renamed files) are durable on success. Blocking.
Status SyncDirectory(const std::string& dir);
// Creates `<root>/abort` and syncs the directory so a crash right after start is seen as one.
Status CreateAbortFile(const std::string& root_dir);
// Deletes it after a clean shutdown (everything flushed).
Status RemoveAbortFile(const std::string& root_dir);

class StoreLock {
 public:
  // Locks `<root>/lock` (creating root and file). SYSTEM_ERROR naming the directory when another
  // store holds it.
  static Result<std::unique_ptr<StoreLock>> Acquire(const std::string& root_dir);
  ~StoreLock();  // releases the lock (closing the descriptor)
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  StoreLock() = default;
  int fd_ = -1;
};

}  // namespace mq::store
