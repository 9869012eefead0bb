// The real call loop (run_call) over a scripted transport and a manual clock
// (tests/support/fake_clock.hpp): server pauses, stale re-sends, deadlines,
// cancellation at every wait, on_attempt. No socket, no sleep: the clock moves
// only when nothing else can happen, and the whole file takes well under a
// second of real time (checked by its last test).
#include "core/call_fsm.hpp"
#include "core/call_loop.hpp"
#include "core/call_transport.hpp"
#include "core/client_impl.hpp"
#include "support/fake_clock.hpp"

#include <aiven/observe.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

using namespace aiven;
using namespace aiven::detail;
using namespace std::chrono_literals;
using aiven::test::fake_clock;
using aiven::test::fake_timer;

namespace {

const fake_clock::time_point t0 = fake_clock::start;

// Real time spent by this file's tests, checked by the last one.
std::chrono::steady_clock::duration real_elapsed{};

struct open_step {
  error_code ec;
  bool verify_failed = false;
  fake_clock::duration takes{};
  bool hang = false;  // until the deadline or the cancellation
};

struct exchange_step {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "{}";
  error_code ec;  // a transport failure instead of a response
  write_state written = write_state::complete;
  bool response_started = true;
  bool keep_alive = true;
  fake_clock::duration takes{};
  bool hang = false;
};

exchange_step status(unsigned s, std::string body = "{}") {
  exchange_step e;
  e.status = s;
  e.body = std::move(body);
  return e;
}

// A reused connection the server closed before answering.
exchange_step closed_unanswered(write_state written) {
  exchange_step e;
  e.ec = boost::asio::error::eof;
  e.written = written;
  e.response_started = false;
  e.keep_alive = false;
  return e;
}

// Scripted I/O. Connections are real `connection` objects that are never
// opened (no socket): tokens that tell reused from fresh ones.
class scripted_transport final : public call_transport {
 public:
  explicit scripted_transport(asio::any_io_executor ex) : ex_(std::move(ex)) {}

  struct sent_request {
    fake_clock::time_point at;
    http::verb method;
    std::string target;
    const connection* conn;
  };

  std::deque<open_step> opens;
  std::deque<exchange_step> exchanges;
  bool acquire_hangs = false;
  std::vector<std::unique_ptr<connection>> idle;  // handed out as reused, most recent last

  std::vector<sent_request> sent;
  std::vector<fake_clock::time_point> waits;  // wait_until targets
  std::vector<const connection*> opened;
  unsigned acquires = 0, releases = 0, stale = 0;
  bool in_flight = false;  // an acquire, open or exchange has not returned

  void preload_idle() { idle.push_back(std::make_unique<connection>(ex_, nullptr)); }

  clock::time_point now() const noexcept override { return fake_clock::now(); }

  asio::awaitable<error_code> wait_until(clock::time_point at) override {
    waits.push_back(at);
    co_return co_await sleep_until(at);
  }

  asio::awaitable<std::pair<error_code, lease>> acquire(clock::time_point deadline) override {
    ++acquires;
    if (acquire_hangs) {
      auto ec = co_await sleep_until(deadline);
      co_return std::pair{ec ? ec : error_code(errc::timeout), lease{}};
    }
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      co_return std::pair{error_code{}, lease{nullptr, std::move(c), true}};
    }
    co_return std::pair{error_code{}, lease{nullptr, nullptr, false}};
  }

  void release(lease l, bool reusable) override {
    ++releases;
    if (reusable && l.conn) idle.push_back(std::move(l.conn));
  }

  void stale_resend() override { ++stale; }

  asio::awaitable<open_result> open(lease& l, clock::time_point deadline, diagnostics& d) override {
    REQUIRE_FALSE(opens.empty());
    auto s = opens.front();
    opens.pop_front();
    open_result r{s.ec, s.verify_failed};
    if (s.hang || s.takes > fake_clock::duration{}) {
      auto until = s.hang ? deadline : std::min(deadline, fake_clock::now() + s.takes);
      if (auto ec = co_await sleep_until(until)) r.ec = ec;
      else if (until == deadline) r.ec = errc::timeout;
    }
    if (r.ec) {
      d.client_message = "scripted open failure";
      co_return r;
    }
    l.conn = std::make_unique<connection>(ex_, nullptr);
    opened.push_back(l.conn.get());
    co_return r;
  }

  asio::awaitable<exchange_result> exchange(connection& c, const http::request<http::string_body>& req, std::size_t,
                                            clock::time_point deadline) override {
    REQUIRE_FALSE(exchanges.empty());
    auto s = exchanges.front();
    exchanges.pop_front();
    sent.push_back({fake_clock::now(), req.method(), std::string(req.target()), &c});
    exchange_result r;
    if (s.hang || s.takes > fake_clock::duration{}) {
      auto until = s.hang ? deadline : std::min(deadline, fake_clock::now() + s.takes);
      auto ec = co_await sleep_until(until);
      if (ec || until == deadline) {
        r.ec = ec ? ec : error_code(errc::timeout);
        r.request_sent = r.write_started = true;
        co_return r;
      }
    }
    r.ec = s.ec;
    r.request_sent = s.written == write_state::complete;
    r.write_started = s.written != write_state::none;
    r.response_started = s.response_started;
    r.keep_alive = s.keep_alive;
    if (!s.ec) {
      r.response.result(s.status);
      for (auto& [k, v] : s.headers) r.response.set(k, v);
      r.response.body() = s.body;
      r.response.prepare_payload();
    }
    co_return r;
  }

 private:
  // Completes at `at` (empty) or at the caller's cancellation (operation_aborted).
  asio::awaitable<error_code> sleep_until(clock::time_point at) {
    fake_timer t(ex_);
    t.expires_at(at);
    in_flight = true;
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    in_flight = false;
    co_return ec;
  }

  asio::any_io_executor ex_;
};

struct running_call {
  std::shared_ptr<call_cancellation> cc = std::make_shared<call_cancellation>();
  diagnostics d;
  std::optional<call_result> result;
  fake_clock::time_point ended{};

  void cancel() { cc->signal.emit(asio::cancellation_type::terminal); }
};

struct harness {
  explicit harness(client_options o = {}) : real_start(std::chrono::steady_clock::now()) {
    fake_clock::reset();
    o.base_url = "http://127.0.0.1:9";
    o.allow_insecure_http = true;
    o.retry.resume_spread = 0ms;
    // Each harness its own governor: the file's clients share a host and token.
    o.rate_limit.share_per_token = false;
    o.on_attempt = [this](const attempt_record& r) { attempts.push_back({r.attempt, r.status, r.error, r.will_retry}); };
    impl = std::make_shared<client_impl>(ioc.get_executor(), o);
    net = std::make_shared<scripted_transport>(ioc.get_executor());
    impl->set_transport(net);
  }
  ~harness() {
    fake_clock::reset();
    auto spent = std::chrono::steady_clock::now() - real_start;
    real_elapsed += spent;
    CHECK(spent < 1s);
  }

  static call_spec get(std::string target = "/v1/project") {
    call_spec s;
    s.operation_id = "test";
    s.method = http_method::get;
    s.target = std::move(target);
    s.timeout = 60s;
    s.retry = retry_options{.max_attempts = 5, .initial_backoff = 100ms, .max_backoff = 1000ms};
    return s;
  }
  static call_spec post() {
    auto s = get("/v1/project/demo/service");
    s.method = http_method::post;
    s.idempotent = false;
    s.body = R"({"service_name":"pg"})";
    return s;
  }

  std::unique_ptr<running_call> start(call_spec spec) {
    auto c = std::make_unique<running_call>();
    auto* p = c.get();
    asio::co_spawn(ioc, run_call(impl, std::move(spec), &p->d, p->cc),
                   asio::bind_cancellation_slot(p->cc->signal.slot(), [p](std::exception_ptr ep, call_result r) {
                     CHECK_FALSE(ep);
                     p->cc->finished = true;
                     p->ended = fake_clock::now();
                     p->result = std::move(r);
                   }));
    return c;
  }
  // Runs what is ready, without moving the clock.
  void drain() {
    ioc.restart();
    ioc.poll();
  }
  // Runs, moving the clock from wait to wait, until `t` at most.
  void run_until(fake_clock::time_point t) {
    for (;;) {
      drain();
      auto next = fake_clock::time_point::max();
      for (auto& w : fake_clock::state().waits) next = std::min(next, w->expiry);
      if (next > t) break;
      fake_clock::advance_to(next);
    }
    fake_clock::advance_to(t);
    drain();
  }
  void run() { fake_clock::run(ioc); }

  struct attempt {
    unsigned n, status;
    error_code ec;
    bool will_retry;
  };

  std::chrono::steady_clock::time_point real_start;
  asio::io_context ioc;
  std::vector<attempt> attempts;
  std::shared_ptr<client_impl> impl;
  std::shared_ptr<scripted_transport> net;
};

}  // namespace

// --- 429: the server's pause (rate_limit_options::adaptive off) --------------

client_options shared_pause() {
  client_options o;
  o.rate_limit.adaptive = false;
  return o;
}

TEST_CASE("call loop: a 429's Retry-After wins over the body's hint, and the pause is the client's") {
  harness h(shared_pause());
  auto too_many = status(429, R"({"message":"Rate limit exceeded, try again in 30s"})");
  too_many.headers = {{"Retry-After", "7"}};
  h.net->exchanges = {too_many, status(200), status(200)};
  h.net->opens = {{}};

  auto a = h.start(harness::get());
  h.drain();
  REQUIRE(h.net->sent.size() == 1);
  CHECK(h.impl->admission().paused_until() == t0 + 7s);

  // A second call started during the pause does not send before it ends.
  h.run_until(t0 + 1s);
  auto b = h.start(harness::get("/v1/clouds"));
  h.run();
  REQUIRE(a->result);
  REQUIRE(b->result);
  CHECK_FALSE(a->result->ec);
  CHECK_FALSE(b->result->ec);
  REQUIRE(h.net->sent.size() == 3);
  CHECK(h.net->sent[1].at == t0 + 7s);
  CHECK(h.net->sent[2].at == t0 + 7s);
  CHECK(a->d.attempts == 2);
  CHECK(b->d.attempts == 1);
  CHECK(h.net->opens.empty());  // the connection was reused: one open
}

TEST_CASE("call loop: a 429 without Retry-After waits the body's 'try again in'") {
  harness h(shared_pause());
  h.net->exchanges = {status(429, R"({"message":"Rate limit exceeded, try again in 12s"})"), status(200)};
  h.net->opens = {{}};
  auto a = h.start(harness::get());
  h.run();
  REQUIRE(a->result);
  CHECK_FALSE(a->result->ec);
  REQUIRE(h.net->sent.size() == 2);
  CHECK(h.net->sent[1].at - h.net->sent[0].at == 12s);
  CHECK(h.impl->admission().paused_until() == t0 + 12s);
}

TEST_CASE("call loop: a 429 whose pause outlasts the deadline fails at once, and the pause stays recorded") {
  harness h(shared_pause());
  auto too_many = status(429);
  too_many.headers = {{"Retry-After", "120"}};
  h.net->exchanges = {too_many};
  h.net->opens = {{}};
  auto spec = harness::get();
  spec.timeout = 10s;
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK(a->result->ec == errc::rate_limited);
  CHECK(a->ended == t0);  // not at the deadline: it could never be met
  CHECK(a->d.client_message.find("outlasts the call's deadline") != std::string::npos);
  CHECK(h.impl->admission().paused_until() == t0 + 120s);

  // The next call is refused before sending anything, for the same reason.
  auto b = h.start(spec);
  h.run();
  REQUIRE(b->result);
  CHECK(b->result->ec == errc::rate_limited);
  CHECK(h.net->sent.size() == 1);
  CHECK(h.attempts.size() == 1);
  CHECK_FALSE(h.attempts[0].will_retry);
}

// --- stale connections --------------------------------------------------------

// --- 429: the token's governor (the default) --------------------------------

TEST_CASE("call loop: a 429 is not a failed attempt: retried past max_attempts after each hint") {
  harness h;
  auto too_many = status(429, R"({"message":"Rate limit 120 exceeded - try again in 2s"})");
  h.net->exchanges = {too_many, too_many, too_many, status(200)};
  h.net->opens = {{}};
  auto spec = harness::get();
  spec.retry.max_attempts = 1;  // no retries of failures; 429s are not failures
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK_FALSE(a->result->ec);
  REQUIRE(h.net->sent.size() == 4);
  for (std::size_t i = 1; i < 4; ++i) CHECK(h.net->sent[i].at - h.net->sent[i - 1].at >= 2s);
  CHECK(h.net->sent[3].at - h.net->sent[0].at < 7s);  // the hints, not the hints plus pauses of their own
  CHECK(a->d.attempts == 4);
  CHECK(h.impl->admission().paused_until() == fake_clock::time_point{});  // no client-wide stop
}

TEST_CASE("call loop: retry_options::max_rate_limit_wait ends a call the API keeps refusing") {
  harness h;
  auto too_many = status(429, R"({"message":"Rate limit 120 exceeded - try again in 2s"})");
  h.net->exchanges = {too_many, too_many, too_many, too_many, status(200)};
  h.net->opens = {{}};
  auto spec = harness::get();
  spec.retry.max_rate_limit_wait = 5s;  // two hints of 2 s fit, a third does not
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK(a->result->ec == errc::rate_limited);
  CHECK(h.net->sent.size() == 3);
  CHECK(a->d.client_message.find("max_rate_limit_wait") != std::string::npos);
}

TEST_CASE("call loop: a spent budget that opens after the deadline fails the next call at once, sending nothing") {
  harness h;
  auto too_many = status(429, R"({"message":"Rate limit 120 exceeded - try again in 28s"})");
  h.net->exchanges = {too_many};
  h.net->opens = {{}};
  auto spec = harness::get();
  spec.timeout = 10s;
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK(a->result->ec == errc::rate_limited);
  CHECK(a->ended == t0);  // the hint outlasts the deadline: no waiting for nothing
  // The lone 429 is taken at its word: the token's budget is closed for 28 s.
  h.run_until(t0 + 1s);
  auto b = h.start(spec);
  h.run();
  REQUIRE(b->result);
  CHECK(b->result->ec == errc::rate_limited);
  CHECK(b->ended == t0 + 1s);
  CHECK(h.net->sent.size() == 1);
  CHECK(b->d.client_message.find("outlasts the call's deadline") != std::string::npos);
}

TEST_CASE("call loop: a GET is re-sent on a fresh connection after a reused one closes unanswered") {
  for (auto written : {write_state::none, write_state::partial, write_state::complete}) {
    CAPTURE(static_cast<int>(written));
    harness h;
    h.net->preload_idle();
    const connection* pooled = h.net->idle.back().get();
    h.net->exchanges = {closed_unanswered(written), status(200)};
    h.net->opens = {{}};
    auto a = h.start(harness::get());
    h.run();
    REQUIRE(a->result);
    CHECK_FALSE(a->result->ec);
    REQUIRE(h.net->sent.size() == 2);
    CHECK(h.net->sent[0].conn == pooled);
    CHECK(h.net->sent[1].conn == h.net->opened.at(0));
    CHECK(h.net->sent[1].at == t0);  // no backoff: the server never saw it fail
    CHECK(h.net->stale == 1);
    REQUIRE(h.attempts.size() == 2);
    CHECK(h.attempts[0].will_retry);
    CHECK(h.attempts[1].n == 2);
  }
}

TEST_CASE("call loop: a POST is re-sent only when its write did not complete") {
  for (auto written : {write_state::none, write_state::partial}) {
    CAPTURE(static_cast<int>(written));
    harness h;
    h.net->preload_idle();
    h.net->exchanges = {closed_unanswered(written), status(201)};
    h.net->opens = {{}};
    auto a = h.start(harness::post());
    h.run();
    REQUIRE(a->result);
    CHECK_FALSE(a->result->ec);
    CHECK(h.net->sent.size() == 2);
    CHECK(h.net->sent[1].method == http::verb::post);
    CHECK(h.net->stale == 1);
  }
  SUBCASE("written completely: connection_lost, not sent again, and the attempt is reported") {
    harness h;
    h.net->preload_idle();
    h.net->exchanges = {closed_unanswered(write_state::complete)};
    auto a = h.start(harness::post());
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == errc::connection_lost);
    CHECK(h.net->sent.size() == 1);
    CHECK(h.net->stale == 0);
    CHECK(a->d.client_message.find("may have been executed") != std::string::npos);
    REQUIRE(h.attempts.size() == 1);
    CHECK(h.attempts[0].n == 1);
    CHECK(h.attempts[0].ec == errc::connection_lost);
    CHECK_FALSE(h.attempts[0].will_retry);
  }
}

// --- deadlines ----------------------------------------------------------------

TEST_CASE("call loop: a backoff within the deadline is waited, one that would pass it ends the call now") {
  SUBCASE("within") {
    harness h;
    h.net->exchanges = {status(503), status(200)};
    h.net->opens = {{}};
    auto a = h.start(harness::get());
    h.run();
    REQUIRE(a->result);
    CHECK_FALSE(a->result->ec);
    REQUIRE(h.net->sent.size() == 2);
    CHECK(h.net->sent[1].at - h.net->sent[0].at <= 100ms);  // full jitter below initial_backoff
  }
  SUBCASE("past the deadline") {
    harness h;
    // Full jitter draws a delay up to 10 minutes: whatever it draws, no wait and
    // no end is later than the deadline, and a delay past it ends the call at once.
    h.net->exchanges = {status(503), status(503), status(503), status(503), status(503)};
    h.net->opens = {{}};
    auto spec = harness::get();
    spec.timeout = 2s;
    spec.retry = retry_options{.max_attempts = 5, .initial_backoff = 600s, .max_backoff = 600s};
    auto a = h.start(spec);
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == errc::server_error);
    CHECK(a->ended < t0 + 2s);
    for (auto w : h.net->waits) CHECK(w < t0 + 2s);
    CHECK(a->d.client_message.find("no time left") != std::string::npos);
    CHECK_FALSE(h.attempts.back().will_retry);
  }
  SUBCASE("a 503 whose Retry-After passes the deadline") {
    harness h;
    auto busy = status(503);
    busy.headers = {{"Retry-After", "30"}};
    h.net->exchanges = {busy};
    h.net->opens = {{}};
    auto spec = harness::get();
    spec.timeout = 10s;
    auto a = h.start(spec);
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == errc::server_error);
    CHECK(a->ended == t0);
    CHECK(h.net->waits.empty());
  }
}

TEST_CASE("call loop: an exchange that never answers ends with errc::timeout at the deadline, not after") {
  harness h;
  exchange_step silent;
  silent.hang = true;
  h.net->exchanges = {silent};
  h.net->opens = {{}};
  auto spec = harness::get();
  spec.timeout = 5s;
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK(a->result->ec == errc::timeout);
  CHECK(a->ended == t0 + 5s);
  CHECK(h.net->sent.size() == 1);
}

TEST_CASE("call loop: a slow connect plus backoff stops at the deadline") {
  harness h;
  open_step slow;
  slow.takes = 3s;
  slow.ec = boost::asio::error::connection_refused;
  h.net->opens = {slow, slow, slow, slow, slow};
  auto spec = harness::get();
  spec.timeout = 7s;
  auto a = h.start(spec);
  h.run();
  REQUIRE(a->result);
  CHECK(a->result->ec);
  CHECK(a->ended <= t0 + 7s);
  CHECK(h.net->sent.empty());
}

// --- cancellation -------------------------------------------------------------

TEST_CASE("call loop: cancellation at every wait ends the call with operation_aborted and sends nothing more") {
  SUBCASE("while waiting for a pool slot") {
    harness h;
    h.net->acquire_hangs = true;
    auto a = h.start(harness::get());
    h.run_until(t0 + 3s);
    REQUIRE_FALSE(a->result);
    a->cancel();
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == boost::asio::error::operation_aborted);
    CHECK(a->ended == t0 + 3s);
    CHECK(h.net->sent.empty());
  }
  SUBCASE("while opening") {
    harness h;
    open_step stuck;
    stuck.hang = true;
    h.net->opens = {stuck};
    h.net->exchanges = {status(200)};
    auto a = h.start(harness::get());
    h.run_until(t0 + 2s);
    REQUIRE_FALSE(a->result);
    a->cancel();
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == boost::asio::error::operation_aborted);
    CHECK(a->ended == t0 + 2s);
    CHECK(h.net->sent.empty());
    CHECK(h.net->exchanges.size() == 1);
  }
  SUBCASE("while exchanging") {
    harness h;
    exchange_step stuck;
    stuck.hang = true;
    h.net->exchanges = {stuck, status(200)};
    h.net->opens = {{}, {}};
    auto a = h.start(harness::get());
    h.run_until(t0 + 4s);
    REQUIRE_FALSE(a->result);
    a->cancel();
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == boost::asio::error::operation_aborted);
    CHECK(a->ended == t0 + 4s);
    CHECK(h.net->sent.size() == 1);
    CHECK(h.net->idle.empty());  // the connection it was cut on is not reused
  }
  SUBCASE("while paused by a 429") {
    harness h;
    auto too_many = status(429);
    too_many.headers = {{"Retry-After", "30"}};
    h.net->exchanges = {too_many, status(200)};
    h.net->opens = {{}};
    auto a = h.start(harness::get());
    h.run_until(t0 + 10s);
    REQUIRE_FALSE(a->result);
    a->cancel();
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == boost::asio::error::operation_aborted);
    CHECK(a->ended == t0 + 10s);
    CHECK(h.net->sent.size() == 1);
  }
  SUBCASE("while backing off") {
    harness h;
    auto busy = status(503);
    busy.headers = {{"Retry-After", "20"}};  // a 503's hint is this call's backoff, not a shared pause
    h.net->exchanges = {busy, status(200)};
    h.net->opens = {{}};
    auto a = h.start(harness::get());
    h.run_until(t0 + 5s);
    REQUIRE_FALSE(a->result);
    CHECK(h.impl->admission().paused_until() < t0);
    a->cancel();
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == boost::asio::error::operation_aborted);
    CHECK(a->ended == t0 + 5s);
    CHECK(h.net->sent.size() == 1);
  }
}

// --- on_attempt -----------------------------------------------------------------

TEST_CASE("call loop: on_attempt numbers every attempt, a failed connect included, and the last does not retry") {
  SUBCASE("connect failure then success") {
    harness h;
    h.net->opens = {{boost::asio::error::connection_refused}, {}};
    h.net->exchanges = {status(200)};
    auto a = h.start(harness::get());
    h.run();
    REQUIRE(a->result);
    CHECK_FALSE(a->result->ec);
    REQUIRE(h.attempts.size() == 2);
    CHECK(h.attempts[0].n == 1);
    CHECK(h.attempts[0].status == 0);
    CHECK(h.attempts[0].ec == boost::asio::error::connection_refused);
    CHECK(h.attempts[0].will_retry);
    CHECK(h.attempts[1].n == 2);
    CHECK(h.attempts[1].status == 200);
    CHECK_FALSE(h.attempts[1].will_retry);
    CHECK(a->d.attempts == 2);
  }
  SUBCASE("retries exhausted") {
    harness h;
    h.net->opens = {{}};
    h.net->exchanges = {status(503), status(503), status(503)};
    auto spec = harness::get();
    spec.retry.max_attempts = 3;
    auto a = h.start(spec);
    h.run();
    REQUIRE(a->result);
    CHECK(a->result->ec == errc::server_error);
    REQUIRE(h.attempts.size() == 3);
    for (unsigned i = 0; i < 3; ++i) {
      CHECK(h.attempts[i].n == i + 1);
      CHECK(h.attempts[i].status == 503);
      CHECK(h.attempts[i].will_retry == (i < 2));
    }
    CHECK(a->d.attempts == 3);
    CHECK(h.impl->retries.load() == 2);
  }
}

TEST_CASE("call loop: the whole file ran in no real time") {
  CHECK(real_elapsed < 1s);
}
