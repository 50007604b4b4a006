// StoreIoWorker: the store's runtime::BlockingWorker (see runtime/blocking_worker.h for the
// protocol). A class rather than an alias so message_store.h can keep forward-declaring it.
#pragma once
#include "runtime/blocking_worker.h"

namespace mq::store {

class StoreIoWorker : public runtime::BlockingWorker {
 public:
  using BlockingWorker::BlockingWorker;
};

}  // namespace mq::store
