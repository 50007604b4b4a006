#include "store/index_file.h"

#include <cstdio>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "base/bytes.h"
#include "base/hash.h"
#include "store/mapped_file.h"

namespace mq::store {
namespace {

// Header field positions (spec 6.4).
constexpr uint64_t kBeginTimestampPos = 0;
constexpr uint64_t kEndTimestampPos = 8;
constexpr uint64_t kBeginPhysPos = 16;
constexpr uint64_t kEndPhysPos = 24;
constexpr uint64_t kHashSlotCountPos = 32;
constexpr uint64_t kIndexCountPos = 36;
static_assert(kIndexCountPos + 4 == kIndexHeaderBytes, "index header is 4 longs + 2 ints");
// Entry field positions.
constexpr uint64_t kEntryHashPos = 0;
constexpr uint64_t kEntryPhysPos = 4;
constexpr uint64_t kEntryTimeDiffPos = 12;
constexpr uint64_t kEntryPrevPos = 16;
static_assert(kEntryPrevPos + 4 == kIndexEntryBytes, "index entry is int + long + int + int");
static_assert(IndexFileBytes(kDefaultMaxHashSlots, kDefaultMaxIndexCount) == 420000040ull);

// Largest geometry accepted: the file must stay addressable and RocketMQ's ints must hold it.
constexpr int32_t kMaxGeometryCount = 100000000;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

int32_t IndexKeyHash(std::string_view index_key) {
  const int32_t h = JavaStringHash(index_key);
  if (h == INT32_MIN) return 0;  // Math.abs overflows in Java and the reference maps it to 0
  return h < 0 ? -h : h;
}

IndexFile::~IndexFile() {
  if (data_ != nullptr) munmap(data_, size_bytes_);
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<IndexFile>> IndexFile::Map(const std::string& path, int32_t max_hash_slots,
                                                  int32_t max_index_count, bool create) {
  if (max_hash_slots <= 0 || max_index_count <= 1 || max_hash_slots > kMaxGeometryCount ||
      max_index_count > kMaxGeometryCount) {
    return Status::SystemError("index file " + path + ": bad geometry");
  }
  const uint64_t size = IndexFileBytes(max_hash_slots, max_index_count);
  if (create && GlobalFileFaults().fail_create.load()) {
    return Status::SystemError("index file " + path + ": No space left on device (injected)");
  }
  // A new file is built under a hidden temporary name and renamed into place only once it has its
  // full size, so a crash mid-creation never leaves a short index file that would block the start.
  const size_t dir_end = path.find_last_of('/');
  const std::string build_path = create ? path.substr(0, dir_end + 1) + ".creating-" + path.substr(dir_end + 1) : path;
  if (create) unlink(build_path.c_str());  // a leftover of a crash
  const int fd = open(build_path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
  if (fd < 0) return Status::SystemError(Errno(create ? "cannot create" : "cannot open", path));
  auto file = std::unique_ptr<IndexFile>(new IndexFile());
  file->fd_ = fd;
  file->path_ = path;
  const size_t slash = path.find_last_of('/');
  file->name_ = slash == std::string::npos ? path : path.substr(slash + 1);
  file->max_hash_slots_ = max_hash_slots;
  file->max_index_count_ = max_index_count;
  if (create) {
    const int rc = posix_fallocate(fd, 0, static_cast<off_t>(size));
    if (rc != 0) {
      errno = rc;
      const std::string msg = Errno("cannot allocate", path);
      unlink(build_path.c_str());
      return Status::SystemError(msg);
    }
    if (renameat2(AT_FDCWD, build_path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
      const std::string msg = Errno("cannot create", path);
      unlink(build_path.c_str());
      return Status::SystemError(msg);
    }
  } else {
    struct stat st {};
    if (fstat(fd, &st) != 0) return Status::SystemError(Errno("cannot stat", path));
    if (static_cast<uint64_t>(st.st_size) != size) {
      return Status::SystemError("index file " + path + ": size " + std::to_string(st.st_size) +
                                 " does not match maxHashSlotNum/maxIndexNum (" + std::to_string(size) + ")");
    }
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Status::SystemError(Errno("cannot map", path));
  file->data_ = static_cast<uint8_t*>(p);
  file->size_bytes_ = size;
  return file;
}

Result<std::unique_ptr<IndexFile>> IndexFile::Create(const std::string& dir, const std::string& name,
                                                     int32_t max_hash_slots, int32_t max_index_count,
                                                     int64_t prev_end_phys_offset, int64_t prev_end_timestamp_ms) {
  auto file = Map(dir + "/" + name, max_hash_slots, max_index_count, /*create=*/true);
  if (!file.ok()) return file.status();
  IndexHeader& h = (*file)->header_;
  h.begin_phys_offset = prev_end_phys_offset;
  h.end_phys_offset = prev_end_phys_offset;
  h.begin_timestamp_ms = prev_end_timestamp_ms;
  h.end_timestamp_ms = prev_end_timestamp_ms;
  (*file)->StoreHeader();
  return file;
}

Result<std::unique_ptr<IndexFile>> IndexFile::Open(const std::string& path, int32_t max_hash_slots,
                                                   int32_t max_index_count) {
  auto file = Map(path, max_hash_slots, max_index_count, /*create=*/false);
  if (!file.ok()) return file.status();
  (*file)->LoadHeader();
  const IndexHeader& h = (*file)->header_;
  // Counts come off the disk: every later slot/entry access trusts them, so bound them here.
  if (h.index_count < 1 || h.index_count > max_index_count || h.hash_slot_count < 0 ||
      h.hash_slot_count > max_hash_slots) {
    return Status::SystemError("index file " + path + ": header counts out of range");
  }
  return file;
}

void IndexFile::LoadHeader() {
  MQ_ASSERT(size_bytes_ >= kIndexHeaderBytes);
  header_.begin_timestamp_ms = static_cast<int64_t>(LoadBe64(data_ + kBeginTimestampPos));
  header_.end_timestamp_ms = static_cast<int64_t>(LoadBe64(data_ + kEndTimestampPos));
  header_.begin_phys_offset = static_cast<int64_t>(LoadBe64(data_ + kBeginPhysPos));
  header_.end_phys_offset = static_cast<int64_t>(LoadBe64(data_ + kEndPhysPos));
  header_.hash_slot_count = static_cast<int32_t>(LoadBe32(data_ + kHashSlotCountPos));
  header_.index_count = static_cast<int32_t>(LoadBe32(data_ + kIndexCountPos));
}

void IndexFile::StoreHeader() {
  MQ_ASSERT(size_bytes_ >= kIndexHeaderBytes);
  MQ_ASSERT(header_.index_count >= 1 && header_.index_count <= max_index_count_);
  StoreBe64(data_ + kBeginTimestampPos, static_cast<uint64_t>(header_.begin_timestamp_ms));
  StoreBe64(data_ + kEndTimestampPos, static_cast<uint64_t>(header_.end_timestamp_ms));
  StoreBe64(data_ + kBeginPhysPos, static_cast<uint64_t>(header_.begin_phys_offset));
  StoreBe64(data_ + kEndPhysPos, static_cast<uint64_t>(header_.end_phys_offset));
  StoreBe32(data_ + kHashSlotCountPos, static_cast<uint32_t>(header_.hash_slot_count));
  StoreBe32(data_ + kIndexCountPos, static_cast<uint32_t>(header_.index_count));
}

uint8_t* IndexFile::SlotAt(uint32_t slot) const {
  MQ_ASSERT(slot < static_cast<uint32_t>(max_hash_slots_));
  return data_ + kIndexHeaderBytes + static_cast<uint64_t>(slot) * kIndexSlotBytes;
}

uint8_t* IndexFile::EntryAt(int32_t number) const {
  MQ_ASSERT(number > 0 && number < max_index_count_);
  const uint64_t pos = kIndexHeaderBytes + static_cast<uint64_t>(max_hash_slots_) * kIndexSlotBytes +
                       static_cast<uint64_t>(number) * kIndexEntryBytes;
  MQ_ASSERT(pos + kIndexEntryBytes <= size_bytes_);
  return data_ + pos;
}

bool IndexFile::Put(std::string_view index_key, int64_t phys_offset, int64_t store_timestamp_ms) {
  if (full()) return false;
  const int32_t key_hash = IndexKeyHash(index_key);
  uint8_t* slot = SlotAt(static_cast<uint32_t>(key_hash) % static_cast<uint32_t>(max_hash_slots_));
  int32_t head = static_cast<int32_t>(LoadBe32(slot));
  if (head <= 0 || head > header_.index_count) head = 0;  // empty or garbage: start a new chain

  // Seconds since the file's begin; the reference computes it before the first entry resets begin.
  int64_t time_diff_s = (store_timestamp_ms - header_.begin_timestamp_ms) / 1000;
  if (header_.begin_timestamp_ms <= 0 || time_diff_s < 0) time_diff_s = 0;
  if (time_diff_s > INT32_MAX) time_diff_s = INT32_MAX;

  const int32_t number = header_.index_count;
  uint8_t* entry = EntryAt(number);
  StoreBe32(entry + kEntryHashPos, static_cast<uint32_t>(key_hash));
  StoreBe64(entry + kEntryPhysPos, static_cast<uint64_t>(phys_offset));
  StoreBe32(entry + kEntryTimeDiffPos, static_cast<uint32_t>(time_diff_s));
  StoreBe32(entry + kEntryPrevPos, static_cast<uint32_t>(head));
  StoreBe32(slot, static_cast<uint32_t>(number));
  MQ_ASSERT(static_cast<int32_t>(LoadBe32(entry + kEntryPrevPos)) == head);

  if (number <= 1) {
    header_.begin_phys_offset = phys_offset;
    header_.begin_timestamp_ms = store_timestamp_ms;
  }
  if (head == 0) ++header_.hash_slot_count;
  ++header_.index_count;
  header_.end_phys_offset = phys_offset;
  header_.end_timestamp_ms = store_timestamp_ms;
  StoreHeader();
  return true;
}

void IndexFile::Select(std::string_view index_key, size_t max_num, int64_t begin_ms, int64_t end_ms,
                       std::vector<int64_t>& out) const {
  if (out.size() >= max_num || header_.index_count <= 1) return;
  const int32_t key_hash = IndexKeyHash(index_key);
  const uint8_t* slot = SlotAt(static_cast<uint32_t>(key_hash) % static_cast<uint32_t>(max_hash_slots_));
  int32_t number = static_cast<int32_t>(LoadBe32(slot));
  if (number <= 0 || number >= header_.index_count) return;
  while (out.size() < max_num) {
    const uint8_t* entry = EntryAt(number);
    const int32_t hash_read = static_cast<int32_t>(LoadBe32(entry + kEntryHashPos));
    const int64_t phys_read = static_cast<int64_t>(LoadBe64(entry + kEntryPhysPos));
    const int32_t time_diff_s = static_cast<int32_t>(LoadBe32(entry + kEntryTimeDiffPos));
    const int32_t prev = static_cast<int32_t>(LoadBe32(entry + kEntryPrevPos));
    if (time_diff_s < 0) break;
    const int64_t time_ms = header_.begin_timestamp_ms + static_cast<int64_t>(time_diff_s) * 1000;
    if (hash_read == key_hash && time_ms >= begin_ms && time_ms <= end_ms) out.push_back(phys_read);
    // Chains only point backwards; anything else is damage and ends the walk (no cycles possible).
    // Entries are newest first, so one older than begin ends the chain.
    if (prev <= 0 || prev >= number || time_ms < begin_ms) break;
    number = prev;
  }
}

bool IndexFile::TimeOverlaps(int64_t begin_ms, int64_t end_ms) const {
  return begin_ms <= header_.end_timestamp_ms && end_ms >= header_.begin_timestamp_ms;
}

Status IndexFile::Sync() {
  if (GlobalFileFaults().fail_sync.load()) return Status::SystemError("index file " + path_ + ": EIO (injected)");
  if (fdatasync(fd_) != 0) return Status::SystemError(Errno("cannot sync", path_));
  return Status::Ok();
}

void IndexFile::Destroy() { unlink(path_.c_str()); }

}  // namespace mq::store
