// Per-host keep-alive connection pool: at most max_connections open, idle ones
// reused most-recent-first, FIFO wait queue when all are busy. Passive: nothing
// runs in the background; idle connections are checked when handed out.
//
// Parameterised on the connection, the clock and the timer (as Boost.MySQL's
// basic_pool_impl is), so that tests/unit/pool_test.cpp runs it over a fake
// connection and a manual clock (tests/support/fake_clock.hpp): no socket, no
// sleep. Production is connection_pool below, instantiated once in pool.cpp.
//
// Conn needs close(), looks_alive(), and `created` / `last_used` of
// Clock::time_point. Timer needs a constructor from an executor, expires_at,
// async_wait, cancel and get_executor (asio::steady_timer's shape).
#pragma once

#include "core/transport.hpp"

#include <aiven/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace aiven::detail {

/// A slot in the pool, with the connection occupying it (null: the holder must
/// open one). Given back with Pool::release.
template <class Pool>
struct basic_lease {
  using connection_type = typename Pool::connection_type;
  basic_lease() = default;
  basic_lease(Pool* p, std::unique_ptr<connection_type> c, bool r) : pool(p), conn(std::move(c)), reused(r) {}
  basic_lease(basic_lease&& o) noexcept
      : pool(std::exchange(o.pool, nullptr)), conn(std::move(o.conn)), reused(o.reused) {}
  basic_lease& operator=(basic_lease&& o) noexcept {
    if (this != &o) {
      if (pool) pool->release(std::move(*this), false);
      pool = std::exchange(o.pool, nullptr);
      conn = std::move(o.conn);
      reused = o.reused;
    }
    return *this;
  }
  /// A lease dropped without release() (an exception, a destroyed coroutine)
  /// gives its slot back and closes its connection.
  ~basic_lease() {
    if (pool) pool->release(std::move(*this), false);
  }

  Pool* pool = nullptr;  // null: no slot held
  std::unique_ptr<connection_type> conn;
  bool reused = false;
};

template <class Conn, class Clock, class Timer>
class basic_connection_pool {
 public:
  using connection_type = Conn;
  using clock_type = Clock;
  using lease_type = basic_lease<basic_connection_pool>;

  explicit basic_connection_pool(pool_options opts) : opts_(opts) {}
  ~basic_connection_pool() {
    for (auto& c : idle_) c->close();
  }

  /// Completes with a lease, or errc::timeout at the deadline, or
  /// operation_aborted when the call is cancelled while waiting.
  asio::awaitable<std::pair<error_code, lease_type>> acquire(typename Clock::time_point deadline);

  /// Returns the slot; the connection goes back to the idle list when
  /// `reusable`, else it is closed.
  void release(lease_type l, bool reusable);

  void close_idle();
  pool_stats stats() const;
  void note_opened() {
    std::lock_guard lk(mu_);
    ++stats_.connections_opened;
  }
  void note_stale_retry() {
    std::lock_guard lk(mu_);
    ++stats_.stale_retries;
  }

 private:
  struct waiter {
    explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
    Timer timer;  // on the waiting call's strand
    bool granted = false;
    std::unique_ptr<Conn> conn;  // null with granted: a free slot
  };
  void grant_locked(std::unique_ptr<Conn> conn);
  bool expired(const Conn& c, typename Clock::time_point now) const {
    return now - c.last_used >= opts_.idle_timeout || now - c.created >= opts_.max_connection_age;
  }

  pool_options opts_;
  // A mutex, not a strand: calls acquire and release from their own strands on
  // any thread, and it is held for a few pointer moves only, never across a wait.
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;  // back = most recently used
  std::deque<std::shared_ptr<waiter>> waiters_;
  std::size_t open_ = 0;  // slots taken (busy + idle + being opened)
  pool_stats stats_{};
};

template <class Conn, class Clock, class Timer>
asio::awaitable<std::pair<error_code, typename basic_connection_pool<Conn, Clock, Timer>::lease_type>>
basic_connection_pool<Conn, Clock, Timer>::acquire(typename Clock::time_point deadline) {
  // Declared before the lock, so that they are destroyed (closed) after it is released.
  std::vector<std::unique_ptr<Conn>> stale;
  std::shared_ptr<waiter> w;
  {
    std::unique_lock lk(mu_);
    auto now = Clock::now();
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (expired(*c, now) || !c->looks_alive()) {
        stale.push_back(std::move(c));
        --open_;
        continue;
      }
      ++stats_.connections_reused;
      co_return std::pair{error_code{}, lease_type{this, std::move(c), true}};
    }
    if (open_ < opts_.max_connections) {
      ++open_;
      stats_.max_open = std::max(stats_.max_open, open_);
      co_return std::pair{error_code{}, lease_type{this, nullptr, false}};
    }
    w = std::make_shared<waiter>(co_await asio::this_coro::executor);
    w->timer.expires_at(deadline);
    waiters_.push_back(w);
  }
  stale.clear();  // not kept open while waiting

  const error_code ec = std::get<0>(co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  std::unique_lock lk(mu_);
  if (w->granted) {
    bool reused = w->conn != nullptr;
    if (reused) ++stats_.connections_reused;
    co_return std::pair{error_code{}, lease_type{this, std::move(w->conn), reused}};
  }
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  // The timer expiring is the deadline; an abort is the caller's cancellation.
  co_return std::pair{ec ? error_code(asio::error::operation_aborted) : error_code(errc::timeout), lease_type{}};
}

// Under mu_.
template <class Conn, class Clock, class Timer>
void basic_connection_pool<Conn, Clock, Timer>::grant_locked(std::unique_ptr<Conn> conn) {
  auto w = std::move(waiters_.front());
  waiters_.pop_front();
  w->granted = true;
  w->conn = std::move(conn);
  // The timer belongs to the waiter's strand: cancel it there.
  auto ex = w->timer.get_executor();
  asio::post(ex, [w = std::move(w)] { w->timer.cancel(); });
}

template <class Conn, class Clock, class Timer>
void basic_connection_pool<Conn, Clock, Timer>::release(lease_type l, bool reusable) {
  if (!l.pool) return;
  l.pool = nullptr;  // this call settles the slot
  std::unique_ptr<Conn> to_close;  // destroyed (closed) after the lock is released
  std::unique_lock lk(mu_);
  if (reusable && l.conn) {
    l.conn->last_used = Clock::now();
    if (!waiters_.empty()) {
      grant_locked(std::move(l.conn));
      return;
    }
    idle_.push_back(std::move(l.conn));
    return;
  }
  to_close = std::move(l.conn);
  if (!waiters_.empty()) {
    grant_locked(nullptr);  // the slot passes on; the waiter opens a connection
  } else {
    --open_;
  }
}

template <class Conn, class Clock, class Timer>
void basic_connection_pool<Conn, Clock, Timer>::close_idle() {
  std::vector<std::unique_ptr<Conn>> idle;
  {
    std::lock_guard lk(mu_);
    idle.swap(idle_);
    open_ -= idle.size();
  }
  for (auto& c : idle) c->close();
}

template <class Conn, class Clock, class Timer>
pool_stats basic_connection_pool<Conn, Clock, Timer>::stats() const {
  std::lock_guard lk(mu_);
  pool_stats s = stats_;
  s.open = open_;
  s.idle = idle_.size();
  s.waiting = waiters_.size();
  return s;
}

/// Production: real connections, the steady clock, Asio's timer.
using connection_pool = basic_connection_pool<connection, clock, asio::steady_timer>;
using lease = connection_pool::lease_type;
extern template class basic_connection_pool<connection, clock, asio::steady_timer>;

}  // namespace aiven::detail
