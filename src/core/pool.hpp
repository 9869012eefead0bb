// Per-host keep-alive connection pool: at most max_connections open, idle ones
// reused most-recent-first, FIFO wait queue when all are busy. Passive: nothing
// runs in the background; idle connections are checked when handed out.
#pragma once

#include "core/transport.hpp"

#include <aiven/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <deque>
#include <utility>
#include <memory>
#include <mutex>
#include <vector>

namespace aiven::detail {

/// A slot in the pool, with the connection occupying it (null: the holder must
/// open one). Given back with connection_pool::release.
class connection_pool;
struct lease {
  lease() = default;
  lease(connection_pool* p, std::unique_ptr<connection> c, bool r) : pool(p), conn(std::move(c)), reused(r) {}
  lease(lease&& o) noexcept : pool(std::exchange(o.pool, nullptr)), conn(std::move(o.conn)), reused(o.reused) {}
  lease& operator=(lease&& o) noexcept;
  /// A lease dropped without release() (an exception, a destroyed coroutine)
  /// gives its slot back and closes its connection.
  ~lease();

  connection_pool* pool = nullptr;  // null: no slot held
  std::unique_ptr<connection> conn;
  bool reused = false;
};

class connection_pool {
 public:
  explicit connection_pool(pool_options opts) : opts_(opts) {}
  ~connection_pool();

  /// Completes with a lease, or errc::timeout at the deadline, or
  /// operation_aborted when the call is cancelled while waiting.
  asio::awaitable<std::pair<error_code, lease>> acquire(clock::time_point deadline);

  /// Returns the slot; the connection goes back to the idle list when
  /// `reusable`, else it is closed.
  void release(lease l, bool reusable);

  void close_idle();
  pool_stats stats() const;
  void note_opened();
  void note_stale_retry();

 private:
  struct waiter;
  void grant_locked(std::unique_lock<std::mutex>& lk, std::unique_ptr<connection> conn);
  bool expired(const connection& c, clock::time_point now) const;

  pool_options opts_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<connection>> idle_;  // back = most recently used
  std::deque<std::shared_ptr<waiter>> waiters_;
  std::size_t open_ = 0;  // slots taken (busy + idle + being opened)
  pool_stats stats_{};
};

}  // namespace aiven::detail
