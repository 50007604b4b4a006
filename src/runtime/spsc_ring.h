// Bounded lock-free single-producer / single-consumer ring (Lamport queue with cached indices).
// Exactly one thread may call TryPush and exactly one (possibly the same) thread may call TryPop;
// the cross-shard rings give each (from, to) shard pair its own SpscRing so this always holds.
// Capacity is a power of two fixed at construction; memory is allocated once, up front.
// Head and tail live on separate cache lines, each next to the producer's / consumer's cached copy
// of the other index, so the steady state touches the shared lines only when the cache is stale.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "base/assert.h"

namespace mq::runtime {

inline constexpr size_t kCacheLineBytes = 64;

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(size_t capacity)
      : capacity_(capacity), mask_(capacity - 1),
        slots_(static_cast<Slot*>(::operator new[](sizeof(Slot) * capacity, std::align_val_t(alignof(Slot))))) {
    MQ_ASSERT_MSG(capacity >= 2 && (capacity & (capacity - 1)) == 0, "SpscRing capacity must be a power of two");
  }
  ~SpscRing() {
    T item;
    while (TryPop(item)) {
    }
    ::operator delete[](slots_, std::align_val_t(alignof(Slot)));
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return capacity_; }

  // Producer only. Returns false (leaving `item` untouched) when the ring is full.
  bool TryPush(T&& item) {
    const uint64_t tail = prod_.tail.load(std::memory_order_relaxed);
    if (tail - prod_.cached_head >= capacity_) {
      prod_.cached_head = cons_.head.load(std::memory_order_acquire);
      if (tail - prod_.cached_head >= capacity_) return false;
    }
    new (&slots_[tail & mask_].storage) T(std::move(item));
    prod_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. Returns false when the ring is empty.
  bool TryPop(T& out) {
    const uint64_t head = cons_.head.load(std::memory_order_relaxed);
    if (head == cons_.cached_tail) {
      cons_.cached_tail = prod_.tail.load(std::memory_order_acquire);
      if (head == cons_.cached_tail) return false;
    }
    MQ_ASSERT(cons_.cached_tail - head <= capacity_);
    T* slot = std::launder(reinterpret_cast<T*>(&slots_[head & mask_].storage));
    out = std::move(*slot);
    slot->~T();
    cons_.head.store(head + 1, std::memory_order_release);
    return true;
  }

  // Either side; a snapshot that may be stale by the time it returns.
  bool Empty() const {
    return cons_.head.load(std::memory_order_acquire) == prod_.tail.load(std::memory_order_acquire);
  }
  size_t SizeApprox() const {
    const uint64_t tail = prod_.tail.load(std::memory_order_acquire);
    const uint64_t head = cons_.head.load(std::memory_order_acquire);
    return tail >= head ? static_cast<size_t>(tail - head) : 0;
  }

 private:
  struct Slot {
    alignas(T) unsigned char storage[sizeof(T)];
  };
  struct alignas(kCacheLineBytes) ProducerSide {
    std::atomic<uint64_t> tail{0};
    uint64_t cached_head = 0;
  };
  struct alignas(kCacheLineBytes) ConsumerSide {
    std::atomic<uint64_t> head{0};
    uint64_t cached_tail = 0;
  };

  const size_t capacity_;
  const size_t mask_;
  Slot* const slots_;
  ProducerSide prod_;
  ConsumerSide cons_;
};

}  // namespace mq::runtime
