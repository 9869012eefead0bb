// The caller's cancellation for a helper operation run by co_spawn. The caller's
// slot is not bound to co_spawn directly: in Boost 1.81 co_spawn posts a raw
// pointer to its own signal, which is gone once the coroutine has finished. The
// slot emits a signal the operation owns instead, on the operation's strand and
// only while the coroutine runs. Not a public interface.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>

#include <memory>

namespace aiven::detail {

struct owned_cancellation {
  boost::asio::cancellation_signal signal;
  bool finished = false;  // on the strand: set when the coroutine ends

  /// Connects `slot` (when it is connected) to `st->signal` through `strand`.
  template <class Strand>
  static void forward(boost::asio::cancellation_slot slot, const std::shared_ptr<owned_cancellation>& st,
                      const Strand& strand) {
    if (!slot.is_connected()) return;
    slot.assign([st, strand](boost::asio::cancellation_type type) {
      boost::asio::dispatch(strand, [st, type] {
        if (!st->finished) st->signal.emit(type);
      });
    });
  }
};

}  // namespace aiven::detail
