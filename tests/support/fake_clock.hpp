// A manual clock and a timer on it, for tests of code that waits: time moves
// only when the test says so, and a wait completes when the clock passes its
// expiry (or at cancel()/destruction/per-operation cancellation, with
// operation_aborted). No real time passes, so the tests are deterministic and
// take microseconds.
//
// fake_clock's time_point is std::chrono::steady_clock's (a clock may reuse
// another's time_point type), so code written for the steady clock's time
// points (call_fsm, the limiter, the call loop's seam) takes it as it is.
//
// Single-threaded: the test and every waiter run on one io_context thread.
//
//   fake_clock::reset();
//   ... start operations on ioc ...
//   fake_clock::run(ioc);  // runs ready work; when none is left, jumps to the
//                          // next expiry; stops when nothing can make progress
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <utility>

namespace aiven::test {

namespace asio = boost::asio;

struct fake_clock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;

  /// Far from the epoch, so that "time_point{}" never looks like now.
  static constexpr time_point start = time_point{} + std::chrono::hours(1000);

  static time_point now() noexcept { return state().now; }

  /// Moves the clock forward by d and completes the waits it passes.
  static void advance(duration d) { advance_to(state().now + d); }
  static void advance_to(time_point t);
  /// Back to `start` with no pending waits (the start of every test).
  static void reset() {
    state().now = start;
    // Moved out first: destroying a wait may destroy a coroutine frame whose
    // timer's destructor looks at the list.
    auto waits = std::move(state().waits);
    state().waits.clear();
    waits.clear();
  }
  /// Waits not completed yet.
  static std::size_t pending() noexcept { return state().waits.size(); }
  /// Runs `ioc` until it has nothing ready, then jumps the clock to the next
  /// expiry, and again; returns when nothing is ready and no wait can expire.
  static void run(asio::io_context& ioc);

  // The timers' waits, in the order they were started.
  struct wait_op {
    virtual ~wait_op() = default;
    virtual void complete(boost::system::error_code ec) = 0;
    const void* timer = nullptr;
    bool from_slot = false;  // completed by its cancellation slot's handler, which must not be cleared inside itself
    time_point expiry{};
  };
  struct clock_state {
    time_point now = start;
    std::list<std::shared_ptr<wait_op>> waits;
  };
  static clock_state& state() {
    static clock_state s;
    return s;
  }
  /// Takes the wait out of the list and completes it (once).
  static void finish(const std::shared_ptr<wait_op>& op, boost::system::error_code ec) {
    auto& w = state().waits;
    auto it = std::find(w.begin(), w.end(), op);
    if (it == w.end()) return;  // already completed
    auto keep = *it;
    w.erase(it);
    keep->complete(ec);
  }
};

/// A timer on fake_clock with asio::steady_timer's shape (what the pool and
/// the call loop's seam use of it).
class fake_timer {
 public:
  using clock_type = fake_clock;
  using time_point = fake_clock::time_point;
  using duration = fake_clock::duration;
  using executor_type = asio::any_io_executor;

  explicit fake_timer(executor_type ex) : ex_(std::move(ex)) {}
  fake_timer(const fake_timer&) = delete;
  fake_timer& operator=(const fake_timer&) = delete;
  ~fake_timer() { cancel(); }

  executor_type get_executor() const { return ex_; }
  time_point expiry() const { return expiry_; }
  std::size_t expires_at(time_point t) {
    auto n = cancel();
    expiry_ = t;
    return n;
  }
  std::size_t expires_after(duration d) { return expires_at(fake_clock::now() + d); }

  /// Completes every pending wait of this timer with operation_aborted.
  std::size_t cancel() {
    std::size_t n = 0;
    auto& w = fake_clock::state().waits;
    for (auto it = w.begin(); it != w.end();) {
      if ((*it)->timer == this) {
        auto op = *it;
        it = w.erase(it);
        op->complete(asio::error::operation_aborted);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  template <class Token>
  auto async_wait(Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) { start(std::move(handler)); }, token);
  }

 private:
  template <class Handler>
  struct op final : fake_clock::wait_op {
    op(Handler h, executor_type ex) : handler(std::move(h)), ex(std::move(ex)) {}
    void complete(boost::system::error_code ec) override {
      auto slot = asio::get_associated_cancellation_slot(handler);
      if (!from_slot && slot.is_connected()) slot.clear();
      // Never inside the initiating function or advance(): posted, as Asio does.
      auto hex = asio::get_associated_executor(handler, ex);
      asio::post(hex, asio::append(std::move(handler), ec));
    }
    Handler handler;
    executor_type ex;
  };

  template <class Handler>
  void start(Handler handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto o = std::make_shared<op<Handler>>(std::move(handler), ex_);
    o->timer = this;
    o->expiry = expiry_;
    fake_clock::state().waits.push_back(o);
    if (slot.is_connected()) {
      std::weak_ptr<fake_clock::wait_op> weak = o;
      slot.assign([weak](asio::cancellation_type) {
        if (auto p = weak.lock()) {
          p->from_slot = true;
          fake_clock::finish(p, asio::error::operation_aborted);
        }
      });
    }
    if (expiry_ <= fake_clock::now()) fake_clock::finish(o, {});
  }

  executor_type ex_;
  time_point expiry_{};
};

inline void fake_clock::advance_to(time_point t) {
  auto& s = state();
  if (t > s.now) s.now = t;
  // Earliest expiry first; a completion only posts, so the list is stable here.
  for (;;) {
    std::shared_ptr<wait_op> next;
    for (auto& w : s.waits)
      if (w->expiry <= s.now && (!next || w->expiry < next->expiry)) next = w;
    if (!next) return;
    finish(next, {});
  }
}

inline void fake_clock::run(asio::io_context& ioc) {
  for (;;) {
    // poll, not run: co_spawn keeps work on the context while a coroutine waits.
    ioc.restart();
    ioc.poll();
    time_point next = time_point::max();
    for (auto& w : state().waits) next = std::min(next, w->expiry);
    if (next == time_point::max()) return;  // nothing left that time can finish
    advance_to(next);
  }
}

}  // namespace aiven::test
