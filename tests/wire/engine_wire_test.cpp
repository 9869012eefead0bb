// The call engine's promises on the wire, against a server told byte by byte
// what to answer: never a doubled POST, every response to its own request,
// cancellation before anything is sent, each single-flight participant on its
// own terms, HEAD, the shared 429 pause, and completions on the handler's
// own io_context.
#include "support/scripted_server.hpp"

#include <aiven/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::response;
using test::scripted_server;

namespace {

using sclock = std::chrono::steady_clock;
using result = std::tuple<error_code, raw_response>;

client_options wire_options(const scripted_server& s) {
  client_options o;
  o.base_url = s.base_url();
  o.allow_insecure_http = true;
  o.token = "wire-test-token";
  o.request_timeout = 5s;
  o.retry.initial_backoff = 1ms;
  o.retry.max_backoff = 5ms;
  o.retry.resume_spread = 0ms;
  return o;
}

template <class F>
auto run(asio::io_context& io, F&& make) {
  auto fut = asio::co_spawn(io, std::forward<F>(make)(), asio::use_future);
  io.restart();
  io.run();
  return fut.get();
}

struct record {
  std::string target;
  unsigned attempt;
  unsigned status;
  error_code error;
  bool will_retry;
};

struct attempt_log {
  std::mutex mu;
  std::vector<record> records;
  void install(client_options& o) {
    o.on_attempt = [this](const attempt_record& r) {
      std::lock_guard lk(mu);
      records.push_back({std::string(r.target), r.attempt, r.status, r.error, r.will_retry});
    };
  }
};

asio::awaitable<result> call(const client& c, raw_request req, diagnostics& d) {
  co_return co_await c.async_request(std::move(req), d, asio::as_tuple(asio::use_awaitable));
}

long ms_since(sclock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(sclock::now() - t).count());
}

}  // namespace

TEST_SUITE("wire.exactly_once") {
  TEST_CASE("a POST whose whole request was read on a reused connection, then FIN: connection_lost, executed once") {
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.method == "POST") return {test::fin()};
      return {test::send(response(200, "{}"))};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    attempt_log log;
    log.install(o);
    client c(io.get_executor(), o);
    diagnostics d;
    auto [ec, r] = run(io, [&]() -> asio::awaitable<result> {
      diagnostics first;
      co_await call(c, raw_request::get("/v1/project"), first);
      co_return co_await call(c, raw_request::post("/v1/project", R"({"project":"p"})"), d);
    });
    CHECK(ec == errc::connection_lost);
    CHECK(srv.count("POST", "/v1/project") == 1);
    CHECK(d.attempts == 1);
    CHECK(d.client_message.find("may have been executed") != std::string::npos);
    std::lock_guard lk(log.mu);
    REQUIRE(log.records.size() == 2);
    CHECK(log.records[1].error == errc::connection_lost);
    CHECK(log.records[1].attempt == 1);
    CHECK_FALSE(log.records[1].will_retry);
  }

  TEST_CASE("the same with RST: connection_lost, executed once") {
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.method == "POST") return {test::rst()};
      return {test::send(response(200, "{}"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    diagnostics d;
    auto [ec, r] = run(io, [&]() -> asio::awaitable<result> {
      diagnostics first;
      co_await call(c, raw_request::get("/v1/project"), first);
      co_return co_await call(c, raw_request::post("/v1/project", R"({"project":"p"})"), d);
    });
    CHECK(ec == errc::connection_lost);
    CHECK(srv.count("POST", "/v1/project") == 1);
  }

  TEST_CASE("a GET in the same situation goes again on a fresh connection") {
    std::atomic<int> gets{0};
    scripted_server srv([&](const test::seen_request&) -> test::script {
      const int n = gets++;
      if (n == 0) return {test::send(response(200, "first"))};
      if (n == 1) return {test::fin()};  // read the whole GET on the reused connection, then closed
      return {test::send(response(200, "second"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    diagnostics d;
    auto [ec, r] = run(io, [&]() -> asio::awaitable<result> {
      diagnostics first;
      co_await call(c, raw_request::get("/v1/a"), first);
      co_return co_await call(c, raw_request::get("/v1/a"), d);
    });
    CHECK_FALSE(ec);
    CHECK(r.body == "second");
    CHECK(srv.connections() == 2);
    CHECK(c.stats().stale_retries == 1);
  }
}

TEST_SUITE("wire.framing") {
  TEST_CASE("interim 1xx responses are read and discarded; each call gets its own answer") {
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.target == "/v1/first")
        return {test::send("HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
                           "HTTP/1.1 100 Continue\r\n\r\n" +
                           response(200, "first"))};
      return {test::send(response(200, "second"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    diagnostics d1, d2;
    auto [a, b] = run(io, [&]() -> asio::awaitable<std::pair<result, result>> {
      auto x = co_await call(c, raw_request::post("/v1/first", "{}"), d1);
      auto y = co_await call(c, raw_request::get("/v1/second"), d2);
      co_return std::pair{x, y};
    });
    CHECK_FALSE(std::get<0>(a));
    CHECK(std::get<1>(a).status == 200);
    CHECK(std::get<1>(a).body == "first");
    CHECK_FALSE(std::get<0>(b));
    CHECK(std::get<1>(b).body == "second");
  }

  TEST_CASE("a 101 answer to a request that asked no upgrade is a bad response") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"),
              test::pause(2s)};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    o.retry.max_attempts = 1;
    client c(io.get_executor(), o);
    diagnostics d;
    auto start = sclock::now();
    auto [ec, r] = run(io, [&]() -> asio::awaitable<result> { co_return co_await call(c, raw_request::get("/v1/x"), d); });
    CHECK(ec == errc::bad_response);
    CHECK(ms_since(start) < 1500);
  }

  TEST_CASE("bytes past Content-Length: the connection is not reused, the next call gets its own answer") {
    std::atomic<int> n{0};
    scripted_server srv([&](const test::seen_request&) -> test::script {
      if (n++ == 0) return {test::send(response(200, "first") + response(200, "stale"))};
      return {test::send(response(200, "second"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    diagnostics d1, d2;
    auto [a, b] = run(io, [&]() -> asio::awaitable<std::pair<result, result>> {
      auto x = co_await call(c, raw_request::get("/v1/one"), d1);
      auto y = co_await call(c, raw_request::get("/v1/two"), d2);
      co_return std::pair{x, y};
    });
    CHECK(std::get<1>(a).body == "first");
    CHECK_FALSE(std::get<0>(b));
    CHECK(std::get<1>(b).body == "second");
    CHECK(srv.connections() == 2);
  }

  TEST_CASE("HEAD with a Content-Length and no body completes at once, and the connection is reused") {
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.method == "HEAD") return {test::send(response(200, "", {}, 1234))};
      return {test::send(response(200, "after"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    diagnostics d1, d2, d3;
    auto start = sclock::now();
    auto [a, b, z] = run(io, [&]() -> asio::awaitable<std::tuple<result, result, result>> {
      auto x = co_await call(c, raw_request::make(http_method::head, "/v1/project", ""), d1);
      auto y = co_await call(c, raw_request::make(http_method::head, "/v1/project", ""), d2);
      auto w = co_await call(c, raw_request::get("/v1/after"), d3);
      co_return std::tuple{x, y, w};
    });
    CHECK(ms_since(start) < 1000);
    CHECK_FALSE(std::get<0>(a));
    CHECK(std::get<1>(a).status == 200);
    CHECK(std::get<1>(a).body.empty());
    CHECK_FALSE(std::get<0>(b));
    CHECK(std::get<1>(z).body == "after");
    CHECK(srv.connections() == 1);
  }
}

TEST_SUITE("wire.cancellation") {
  TEST_CASE("a call cancelled after the pool granted it a connection sends nothing") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::pause(100ms), test::send(response(200, "{}"))};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    o.pool.max_connections = 1;
    asio::cancellation_signal cancel_b;
    // Runs as the first call's attempt ends, once its connection went to the
    // second call and before that call resumed.
    o.on_attempt = [&](const attempt_record& r) {
      if (r.target == "/v1/a") cancel_b.emit(asio::cancellation_type::terminal);
    };
    client c(io.get_executor(), o);
    error_code ec_a, ec_b;
    bool done_b = false;
    diagnostics da, db;
    c.async_request(raw_request::get("/v1/a"), da, [&](error_code ec, raw_response) { ec_a = ec; });
    c.async_request(raw_request::get("/v1/b"), db,
                    asio::bind_cancellation_slot(cancel_b.slot(), [&](error_code ec, raw_response) {
                      ec_b = ec;
                      done_b = true;
                    }));
    io.run();
    CHECK_FALSE(ec_a);
    CHECK(done_b);
    CHECK(ec_b == asio::error::operation_aborted);
    CHECK(srv.count("GET", "/v1/b") == 0);
    // The connection it was given went back to the pool, not lost.
    CHECK(c.stats().open == 1);
  }
}

TEST_SUITE("wire.single_flight") {
  TEST_CASE("a follower with a short timeout completes at its own deadline; the leader succeeds") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::pause(1500ms), test::send(response(200, "{}"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    error_code ec_leader{errc::http_error}, ec_follower{errc::http_error};
    long follower_ms = -1;
    auto start = sclock::now();
    diagnostics dl, df;
    c.async_request(raw_request::get("/v1/project"), dl, [&](error_code ec, raw_response) { ec_leader = ec; });
    c.with({.timeout = 300ms}).async_request(raw_request::get("/v1/project"), df, [&](error_code ec, raw_response) {
      ec_follower = ec;
      follower_ms = ms_since(start);
    });
    io.run();
    CHECK_FALSE(ec_leader);
    CHECK(ec_follower == errc::timeout);
    CHECK(follower_ms >= 250);
    CHECK(follower_ms < 1000);
    CHECK(srv.count("GET", "/v1/project") == 1);
    CHECK(c.stats().shared_flights == 1);
  }

  TEST_CASE("a leader with a short timeout does not fail a follower with a long one") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::pause(700ms), test::send(response(200, "{}"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    error_code ec_leader{errc::http_error}, ec_follower{errc::http_error};
    diagnostics dl, df;
    c.with({.timeout = 200ms}).async_request(raw_request::get("/v1/project"), dl,
                                             [&](error_code ec, raw_response) { ec_leader = ec; });
    c.with({.timeout = 20s}).async_request(raw_request::get("/v1/project"), df,
                                           [&](error_code ec, raw_response) { ec_follower = ec; });
    io.run();
    CHECK(ec_leader == errc::timeout);
    CHECK_FALSE(ec_follower);
    CHECK(srv.count("GET", "/v1/project") == 1);
  }

  TEST_CASE("a call after every participant of a flight cancelled starts a new request") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::pause(300ms), test::send(response(200, "{}"))};
    });
    asio::io_context io;
    client c(io.get_executor(), wire_options(srv));
    asio::cancellation_signal cancel_first;
    error_code ec_first, ec_second{errc::http_error};
    diagnostics d1, d2;
    c.async_request(raw_request::get("/v1/project"), d1,
                    asio::bind_cancellation_slot(cancel_first.slot(), [&](error_code ec, raw_response) { ec_first = ec; }));
    asio::steady_timer t(io, 50ms);
    t.async_wait([&](error_code) {
      cancel_first.emit(asio::cancellation_type::terminal);
      c.async_request(raw_request::get("/v1/project"), d2, [&](error_code ec, raw_response) { ec_second = ec; });
    });
    io.run();
    CHECK(ec_first == asio::error::operation_aborted);
    CHECK_FALSE(ec_second);
  }
}

TEST_SUITE("wire.rate_limit") {
  TEST_CASE("a 429 whose pause outlasts the deadline pauses every call; each fails fast and says why") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::send(response(429, R"({"message":"Too many requests"})", {{"Retry-After", "30"}}))};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    o.request_timeout = 2s;
    client c(io.get_executor(), o);
    auto start = sclock::now();
    std::vector<std::pair<error_code, std::string>> outcomes;
    run(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 6; ++i) {
        diagnostics d;
        auto [ec, r] = co_await call(c, raw_request::get("/v1/project"), d);
        outcomes.emplace_back(ec, d.client_message);
      }
    });
    CHECK(ms_since(start) < 1000);
    CHECK(srv.requests().size() == 1);
    for (auto& [ec, msg] : outcomes) {
      CHECK(ec == errc::rate_limited);
      CHECK(msg.find("outlasts") != std::string::npos);
    }
  }

  TEST_CASE("the 'try again in' hint of the message pauses the same way when there is no Retry-After") {
    scripted_server srv([](const test::seen_request&) -> test::script {
      return {test::send(response(429, R"({"message":"Rate limit exceeded, try again in 40s"})"))};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    o.request_timeout = 2s;
    client c(io.get_executor(), o);
    run(io, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        diagnostics d;
        auto [ec, r] = co_await call(c, raw_request::post("/v1/project", "{}"), d);
        CHECK(ec == errc::rate_limited);
      }
    });
    CHECK(srv.requests().size() == 1);
  }
}

TEST_SUITE("wire.on_attempt") {
  TEST_CASE("connect failures are counted attempts 1..n, and only the last says it stops") {
    unsigned short port;
    {
      asio::io_context tmp;
      asio::ip::tcp::acceptor a(tmp, {asio::ip::make_address("127.0.0.1"), 0});
      port = a.local_endpoint().port();
    }
    asio::io_context io;
    client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.allow_insecure_http = true;
    o.retry.max_attempts = 3;
    o.retry.initial_backoff = 1ms;
    o.retry.max_backoff = 2ms;
    attempt_log log;
    log.install(o);
    client c(io.get_executor(), o);
    diagnostics d;
    auto [ec, r] = run(io, [&]() -> asio::awaitable<result> { co_return co_await call(c, raw_request::get("/v1/x"), d); });
    CHECK(ec);
    CHECK(d.attempts == 3);
    std::lock_guard lk(log.mu);
    REQUIRE(log.records.size() == 3);
    for (unsigned i = 0; i < 3; ++i) {
      CHECK(log.records[i].attempt == i + 1);
      CHECK(log.records[i].will_retry == (i < 2));
    }
  }

  TEST_CASE("will_retry is false when the shared pause then stops the call") {
    // /v1/slow answers 503 (retry at once) after /v1/limit's 429 set a pause
    // longer than the slow call's deadline.
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.target == "/v1/slow") return {test::pause(300ms), test::send(response(503, "{}", {{"Retry-After", "0"}}))};
      return {test::send(response(429, "{}", {{"Retry-After", "30"}}))};
    });
    asio::io_context io;
    auto o = wire_options(srv);
    o.request_timeout = 2s;
    attempt_log log;
    log.install(o);
    client c(io.get_executor(), o);
    diagnostics ds, dl;
    error_code ec_slow;
    c.async_request(raw_request::get("/v1/slow"), ds, [&](error_code ec, raw_response) { ec_slow = ec; });
    asio::steady_timer t(io, 50ms);
    t.async_wait([&](error_code) { c.async_request(raw_request::get("/v1/limit"), dl, [](error_code, raw_response) {}); });
    io.run();
    CHECK(ec_slow == errc::server_error);
    CHECK(srv.count("GET", "/v1/slow") == 1);
    std::lock_guard lk(log.mu);
    for (auto& rec : log.records) CHECK_FALSE(rec.will_retry);
  }
}

TEST_SUITE("wire.executors") {
  TEST_CASE("a handler bound to another io_context runs: the call holds work on its executor") {
    scripted_server srv([](const test::seen_request& r) -> test::script {
      if (r.target == "/v1/fail") return {test::send(response(404, "{}"))};
      return {test::pause(200ms), test::send(response(200, "{}"))};
    });
    asio::io_context client_io;
    auto guard = asio::make_work_guard(client_io);
    std::thread t([&] { client_io.run(); });
    client c(client_io.get_executor(), wire_options(srv));
    asio::io_context handler_io;
    std::atomic<int> ran{0};
    diagnostics d1, d2, d3, d4;
    auto h = asio::bind_executor(handler_io, [&](error_code, raw_response) { ++ran; });
    c.async_request(raw_request::get("/v1/project"), d1, h);                          // runs
    c.async_request(raw_request::get("/v1/project"), d2, h);                          // joins the flight
    c.with({.single_flight = false}).async_request(raw_request::get("/v1/fail"), d3, h);  // an error status
    c.async_request(raw_request::get("no slash"), d4, h);                              // refused at once
    handler_io.run();  // returns only when no work is left: after the handlers ran
    CHECK(ran == 4);
    guard.reset();
    t.join();
  }
}
