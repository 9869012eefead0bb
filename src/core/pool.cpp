#include "core/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace aiven::detail {

struct connection_pool::waiter {
  explicit waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // on the waiting call's strand
  bool granted = false;
  std::unique_ptr<connection> conn;  // null with granted: a free slot
};

lease& lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    if (pool) pool->release(std::move(*this), false);
    pool = std::exchange(o.pool, nullptr);
    conn = std::move(o.conn);
    reused = o.reused;
  }
  return *this;
}

lease::~lease() {
  if (pool) pool->release(std::move(*this), false);
}

connection_pool::~connection_pool() {
  for (auto& c : idle_) c->close();
}

bool connection_pool::expired(const connection& c, clock::time_point now) const {
  return now - c.last_used >= opts_.idle_timeout || now - c.created >= opts_.max_connection_age;
}

asio::awaitable<std::pair<error_code, lease>> connection_pool::acquire(clock::time_point deadline) {
  // Declared before the lock, so that they are destroyed (closed) after it is released.
  std::vector<std::unique_ptr<connection>> stale;
  std::shared_ptr<waiter> w;
  {
    std::unique_lock lk(mu_);
    auto now = clock::now();
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (expired(*c, now) || !c->looks_alive()) {
        stale.push_back(std::move(c));
        --open_;
        continue;
      }
      ++stats_.connections_reused;
      co_return std::pair{error_code{}, lease{this, std::move(c), true}};
    }
    if (open_ < opts_.max_connections) {
      ++open_;
      stats_.max_open = std::max(stats_.max_open, open_);
      co_return std::pair{error_code{}, lease{this, nullptr, false}};
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
    co_return std::pair{error_code{}, lease{this, std::move(w->conn), reused}};
  }
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  // The timer expiring is the deadline; an abort is the caller's cancellation.
  co_return std::pair{ec ? error_code(asio::error::operation_aborted) : error_code(errc::timeout), lease{}};
}

void connection_pool::grant_locked(std::unique_lock<std::mutex>&, std::unique_ptr<connection> conn) {
  auto w = std::move(waiters_.front());
  waiters_.pop_front();
  w->granted = true;
  w->conn = std::move(conn);
  // The timer belongs to the waiter's strand: cancel it there.
  auto ex = w->timer.get_executor();
  asio::post(ex, [w = std::move(w)] { w->timer.cancel(); });
}

void connection_pool::release(lease l, bool reusable) {
  if (!l.pool) return;
  l.pool = nullptr;  // this call settles the slot
  std::unique_ptr<connection> to_close;  // destroyed (closed) after the lock is released
  std::unique_lock lk(mu_);
  if (reusable && l.conn) {
    l.conn->last_used = clock::now();
    if (!waiters_.empty()) {
      grant_locked(lk, std::move(l.conn));
      return;
    }
    idle_.push_back(std::move(l.conn));
    return;
  }
  to_close = std::move(l.conn);
  if (!waiters_.empty()) {
    grant_locked(lk, nullptr);  // the slot passes on; the waiter opens a connection
  } else {
    --open_;
  }
}

void connection_pool::close_idle() {
  std::vector<std::unique_ptr<connection>> idle;
  {
    std::lock_guard lk(mu_);
    idle.swap(idle_);
    open_ -= idle.size();
  }
  for (auto& c : idle) c->close();
}

pool_stats connection_pool::stats() const {
  std::lock_guard lk(mu_);
  pool_stats s = stats_;
  s.open = open_;
  s.idle = idle_.size();
  s.waiting = waiters_.size();
  return s;
}

void connection_pool::note_opened() {
  std::lock_guard lk(mu_);
  ++stats_.connections_opened;
}

void connection_pool::note_stale_retry() {
  std::lock_guard lk(mu_);
  ++stats_.stale_retries;
}

}  // namespace aiven::detail
