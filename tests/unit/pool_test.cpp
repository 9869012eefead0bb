// The connection pool over a fake connection and a manual clock
// (tests/support/fake_clock.hpp): reuse order, eviction, the bound, the FIFO
// wait queue with its deadlines and cancellation. No socket, no sleep.
#include "core/pool.hpp"
#include "support/fake_clock.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <vector>

using namespace aiven;
using namespace aiven::detail;
using namespace std::chrono_literals;
using aiven::test::fake_clock;
using aiven::test::fake_timer;

namespace {

struct fake_conn {
  explicit fake_conn(int i, std::vector<int>* closed_log = nullptr) : id(i), closed(closed_log) {
    created = last_used = fake_clock::now();
  }
  void close() noexcept {
    if (closed && !was_closed) closed->push_back(id);
    was_closed = true;
  }
  ~fake_conn() { close(); }
  bool looks_alive() noexcept { return alive; }

  int id;
  std::vector<int>* closed;
  bool was_closed = false;
  bool alive = true;
  fake_clock::time_point created, last_used;
};

using pool_t = basic_connection_pool<fake_conn, fake_clock, fake_timer>;
using lease_t = pool_t::lease_type;
using result_t = std::pair<error_code, lease_t>;

struct fixture {
  fixture() { fake_clock::reset(); }
  ~fixture() { fake_clock::reset(); }

  asio::io_context ioc;
  std::vector<int> closed;

  // Starts an acquire; `out` receives its result when it completes.
  void acquire(pool_t& p, std::optional<result_t>& out, fake_clock::time_point deadline = fake_clock::time_point::max(),
               asio::cancellation_signal* cancel = nullptr) {
    auto f = [&p, &out, deadline]() -> asio::awaitable<void> { out.emplace(co_await p.acquire(deadline)); };
    if (cancel)
      asio::co_spawn(ioc, f, asio::bind_cancellation_slot(cancel->slot(), asio::detached));
    else
      asio::co_spawn(ioc, f, asio::detached);
  }
  // Runs what is ready, without moving the clock.
  void drain() {
    ioc.restart();
    ioc.poll();
  }
  lease_t take(pool_t& p) {
    std::optional<result_t> r;
    acquire(p, r);
    drain();
    REQUIRE(r);
    REQUIRE_FALSE(r->first);
    return std::move(r->second);
  }
  // Takes a slot and puts a fresh connection with `id` in it.
  lease_t take_new(pool_t& p, int id) {
    auto l = take(p);
    REQUIRE(l.conn == nullptr);
    l.conn = std::make_unique<fake_conn>(id, &closed);
    return l;
  }
};

pool_options opts(std::size_t max, std::chrono::milliseconds idle = 1h, std::chrono::milliseconds age = 10h) {
  pool_options o;
  o.max_connections = max;
  o.idle_timeout = idle;
  o.max_connection_age = age;
  return o;
}

}  // namespace

TEST_CASE_FIXTURE(fixture, "pool: idle connections are reused most recent first") {
  pool_t p(opts(3));
  auto a = take_new(p, 1), b = take_new(p, 2), c = take_new(p, 3);
  p.release(std::move(a), true);
  p.release(std::move(b), true);
  p.release(std::move(c), true);
  CHECK(p.stats().idle == 3);
  std::vector<lease_t> held;  // kept busy, so that the next acquire takes the next idle one
  for (int want : {3, 2, 1}) {
    held.push_back(take(p));
    REQUIRE(held.back().conn);
    CHECK(held.back().conn->id == want);
    CHECK(held.back().reused);
  }
  CHECK(p.stats().connections_reused == 3);
  CHECK(p.stats().open == 3);
  CHECK(closed.empty());
  for (auto& l : held) p.release(std::move(l), true);
}

TEST_CASE_FIXTURE(fixture, "pool: an idle connection is evicted after idle_timeout, not before") {
  pool_t p(opts(2, 10s));
  auto l = take_new(p, 1);
  p.release(std::move(l), true);
  fake_clock::advance(9s);
  l = take(p);
  REQUIRE(l.conn);
  CHECK(l.conn->id == 1);
  p.release(std::move(l), true);  // last used now: the idle time starts again
  fake_clock::advance(9s);
  l = take(p);
  REQUIRE(l.conn);
  p.release(std::move(l), true);
  fake_clock::advance(10s);
  l = take(p);
  CHECK(l.conn == nullptr);  // a fresh slot: the idle one was closed
  CHECK(closed == std::vector<int>{1});
  CHECK(p.stats().open == 1);
}

TEST_CASE_FIXTURE(fixture, "pool: a connection is evicted at max_connection_age however recently used") {
  pool_t p(opts(2, 1h, 30s));
  auto l = take_new(p, 1);
  for (int i = 0; i < 2; ++i) {
    p.release(std::move(l), true);
    fake_clock::advance(10s);
    l = take(p);
    REQUIRE(l.conn);
  }
  p.release(std::move(l), true);
  fake_clock::advance(10s);  // 30 s since it was opened, 10 s since it was used
  l = take(p);
  CHECK(l.conn == nullptr);
  CHECK(closed == std::vector<int>{1});
}

TEST_CASE_FIXTURE(fixture, "pool: an idle connection the peer closed is not handed out") {
  pool_t p(opts(2));
  auto a = take_new(p, 1), b = take_new(p, 2);
  p.release(std::move(a), true);
  b.conn->alive = false;
  p.release(std::move(b), true);
  auto l = take(p);
  REQUIRE(l.conn);
  CHECK(l.conn->id == 1);
  CHECK(closed == std::vector<int>{2});
}

TEST_CASE_FIXTURE(fixture, "pool: max_connections bounds the slots; waiters are served first come first served") {
  pool_t p(opts(1));
  auto a = take_new(p, 1);
  std::optional<result_t> w1, w2, w3;
  acquire(p, w1);
  acquire(p, w2);
  acquire(p, w3);
  drain();
  CHECK_FALSE(w1);
  CHECK_FALSE(w2);
  CHECK_FALSE(w3);
  CHECK(p.stats().open == 1);
  CHECK(p.stats().waiting == 3);
  CHECK(p.stats().max_open == 1);

  p.release(std::move(a), true);
  drain();
  REQUIRE(w1);
  CHECK_FALSE(w2);
  CHECK_FALSE(w1->first);
  REQUIRE(w1->second.conn);
  CHECK(w1->second.conn->id == 1);
  CHECK(w1->second.reused);

  p.release(std::move(w1->second), true);
  drain();
  REQUIRE(w2);
  CHECK_FALSE(w3);
  p.release(std::move(w2->second), true);
  drain();
  REQUIRE(w3);
  CHECK(w3->second.conn->id == 1);
  p.release(std::move(w3->second), true);
  CHECK(p.stats().waiting == 0);
  CHECK(p.stats().open == 1);
  CHECK(p.stats().idle == 1);
  CHECK(p.stats().connections_reused == 3);
}

TEST_CASE_FIXTURE(fixture, "pool: a waiter's deadline ends its wait with errc::timeout") {
  pool_t p(opts(1));
  auto a = take_new(p, 1);
  std::optional<result_t> w1, w2;
  acquire(p, w1, fake_clock::now() + 5s);
  acquire(p, w2, fake_clock::now() + 8s);
  drain();
  fake_clock::advance(4s);
  drain();
  CHECK_FALSE(w1);
  fake_clock::advance(1s);
  drain();
  REQUIRE(w1);
  CHECK(w1->first == errc::timeout);
  CHECK(w1->second.pool == nullptr);
  CHECK(p.stats().waiting == 1);
  // The slot goes to the waiter still there.
  p.release(std::move(a), true);
  drain();
  REQUIRE(w2);
  CHECK_FALSE(w2->first);
  CHECK(w2->second.conn->id == 1);
  CHECK(fake_clock::now() == fake_clock::start + 5s);
}

TEST_CASE_FIXTURE(fixture, "pool: fake_clock::run jumps to a waiter's deadline") {
  pool_t p(opts(1));
  auto a = take_new(p, 1);
  std::optional<result_t> w;
  acquire(p, w, fake_clock::now() + 30s);
  fake_clock::run(ioc);
  REQUIRE(w);
  CHECK(w->first == errc::timeout);
  CHECK(fake_clock::now() == fake_clock::start + 30s);
}

TEST_CASE_FIXTURE(fixture, "pool: a cancelled waiter gets operation_aborted and its turn passes on") {
  pool_t p(opts(1));
  auto a = take_new(p, 1);
  std::optional<result_t> w1, w2;
  asio::cancellation_signal cancel1;
  acquire(p, w1, fake_clock::time_point::max(), &cancel1);
  acquire(p, w2);
  drain();
  cancel1.emit(asio::cancellation_type::terminal);
  drain();
  REQUIRE(w1);
  CHECK(w1->first == asio::error::operation_aborted);
  CHECK(w1->second.pool == nullptr);
  CHECK(p.stats().waiting == 1);
  CHECK(p.stats().open == 1);
  p.release(std::move(a), true);
  drain();
  REQUIRE(w2);
  CHECK_FALSE(w2->first);
  REQUIRE(w2->second.conn);
  CHECK(w2->second.conn->id == 1);
}

TEST_CASE_FIXTURE(fixture, "pool: release(reusable=false) closes the connection and hands the slot to a waiter") {
  pool_t p(opts(1));
  auto a = take_new(p, 1);
  std::optional<result_t> w;
  acquire(p, w);
  drain();
  p.release(std::move(a), false);
  CHECK(closed == std::vector<int>{1});
  drain();
  REQUIRE(w);
  CHECK_FALSE(w->first);
  CHECK(w->second.pool == &p);
  CHECK(w->second.conn == nullptr);  // a slot: the waiter opens a connection
  CHECK_FALSE(w->second.reused);
  CHECK(p.stats().open == 1);
  p.release(std::move(w->second), false);
  CHECK(p.stats().open == 0);
}

TEST_CASE_FIXTURE(fixture, "pool: a lease dropped without release gives its slot back") {
  pool_t p(opts(1));
  {
    auto a = take_new(p, 1);
    CHECK(p.stats().open == 1);
  }
  CHECK(p.stats().open == 0);
  CHECK(closed == std::vector<int>{1});

  std::optional<lease_t> held{take_new(p, 2)};
  std::optional<result_t> w;
  acquire(p, w);
  drain();
  CHECK_FALSE(w);
  held.reset();
  drain();
  REQUIRE(w);
  CHECK_FALSE(w->first);
  CHECK(w->second.conn == nullptr);
  CHECK(p.stats().open == 1);
}

TEST_CASE_FIXTURE(fixture, "pool: close_idle closes the idle connections and frees their slots") {
  pool_t p(opts(2));
  auto a = take_new(p, 1), b = take_new(p, 2);
  p.release(std::move(a), true);
  p.close_idle();
  CHECK(closed == std::vector<int>{1});
  CHECK(p.stats().open == 1);
  CHECK(p.stats().idle == 0);
  p.release(std::move(b), true);
  CHECK(p.stats().idle == 1);
}
