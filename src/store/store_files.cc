// Abort and lock files; see store_files.h.
#include "store/store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mq::store {

namespace {

std::string AbortPath(const std::string& root) { return root + "/abort"; }

}  // namespace

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::SystemError("open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::SystemError("fsync " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

bool AbortFileExists(const std::string& root_dir) {
  struct stat st {};
  return ::stat(AbortPath(root_dir).c_str(), &st) == 0;
}

Status CreateAbortFile(const std::string& root_dir) {
  const int fd = ::open(AbortPath(root_dir).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::SystemError("create " + AbortPath(root_dir) + ": " + std::strerror(errno));
  ::close(fd);
  return SyncDirectory(root_dir);
}

Status RemoveAbortFile(const std::string& root_dir) {
  if (::unlink(AbortPath(root_dir).c_str()) != 0 && errno != ENOENT) {
    return Status::SystemError("delete " + AbortPath(root_dir) + ": " + std::strerror(errno));
  }
  return SyncDirectory(root_dir);
}

Result<std::unique_ptr<StoreLock>> StoreLock::Acquire(const std::string& root_dir) {
  if (::mkdir(root_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::SystemError("mkdir " + root_dir + ": " + std::strerror(errno));
  }
  const std::string path = root_dir + "/lock";
  std::unique_ptr<StoreLock> lock(new StoreLock());
  lock->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock->fd_ < 0) return Status::SystemError("open " + path + ": " + std::strerror(errno));
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;  // byte 0, as the reference locks it
  if (::fcntl(lock->fd_, F_OFD_SETLK, &fl) != 0) {
    const int err = errno;
    if (err == EAGAIN || err == EACCES) {
      return Status::SystemError("store " + root_dir + " is locked by another store (" + path +
                                 "); is a broker already running on it?");
    }
    return Status::SystemError("lock " + path + ": " + std::strerror(err));
  }
  return lock;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor of the description releases the lock
}

}  // namespace mq::store
