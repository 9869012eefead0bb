// Waiters against the simulator's state transitions.
#include "support/run.hpp"
#include "support/services.hpp"

#include <aiven/api/service.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

using test::create_pg;

struct seen {
  std::vector<std::string> states;
  std::vector<std::chrono::milliseconds> pauses;
};

wait_options fast(seen& s, std::chrono::milliseconds timeout = 10s) {
  return wait_options{.timeout = timeout,
                      .initial_interval = 40ms,
                      .max_interval = 120ms,
                      .multiplier = 2.0,
                      .on_progress = [&s](const wait_progress& p) {
                        s.states.emplace_back(p.state);
                        s.pauses.push_back(p.next_poll_in);
                        CHECK(p.polls == s.states.size());
                        CHECK(p.project == "demo");
                      }};
}

}  // namespace

TEST_SUITE("integration.wait") {
  TEST_CASE("waits through REBUILDING until RUNNING, with growing pauses") {
    sim::simulator sim({.service_ready_delay = 500ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    seen s;
    auto svc = test::run(io, [&]() -> asio::awaitable<api::service_get_out> {
      co_await create_pg(c, "pg1");
      co_return co_await async_wait_service_running(c, "demo", "pg1", fast(s));
    });
    CHECK(svc.service_name == "pg1");
    CHECK(svc.state.str() == "RUNNING");
    REQUIRE(s.states.size() >= 3);
    CHECK(s.states.front() == "REBUILDING");
    CHECK(s.states.back() == "RUNNING");
    for (std::size_t i = 0; i + 1 < s.states.size(); ++i) CHECK(s.states[i] == "REBUILDING");
    // 40, 80, 120, 120, ... then 0 after the last poll.
    CHECK(s.pauses[0] == 40ms);
    CHECK(s.pauses[1] == 80ms);
    if (s.pauses.size() > 3) CHECK(s.pauses[2] == 120ms);
    CHECK(s.pauses.back() == 0ms);
    CHECK(sim.executed("GET", "/v1/project/demo/service/pg1") == s.states.size());
  }

  TEST_CASE("the deadline is errc::timeout, and the diagnostics name the last state") {
    sim::simulator sim({.service_ready_delay = 60s});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    seen s;
    auto t0 = std::chrono::steady_clock::now();
    try {
      test::run(io, [&]() -> asio::awaitable<void> {
        co_await create_pg(c, "slow");
        co_await async_wait_service_running(c, "demo", "slow", fast(s, 400ms));
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == errc::timeout);
      const auto& msg = e.get_diagnostics().client_message;
      INFO(msg);
      CHECK(msg.find("service demo/slow not RUNNING after") != std::string::npos);
      CHECK(msg.find("last state seen: REBUILDING") != std::string::npos);
      CHECK(s.states.size() >= 3);
      CHECK(std::string(e.what()).find("last state seen: REBUILDING") != std::string::npos);
    }
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took < 1500ms);
  }

  TEST_CASE("as_tuple with diagnostics: the deadline as an error_code, no exception") {
    sim::simulator sim({.service_ready_delay = 60s});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    seen s;
    diagnostics diag;
    auto ec = test::run(io, [&]() -> asio::awaitable<error_code> {
      co_await create_pg(c, "slow2");
      const auto opts = fast(s, 200ms);
      auto [e, svc] = co_await async_wait_service_running(c, "demo", "slow2", opts, diag, asio::as_tuple(asio::use_awaitable));
      CHECK(svc.service_name == "slow2");  // the last answer seen
      co_return e;
    });
    CHECK(ec == errc::timeout);
    CHECK(diag.operation == "ServiceGet");
    CHECK(diag.client_message.find("last state seen: REBUILDING") != std::string::npos);
  }

  TEST_CASE("an on_progress that owns memory, options in a named variable (ASan on GCC 12)") {
    sim::simulator sim({.service_ready_delay = 100ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    auto log = std::make_shared<std::vector<std::string>>();
    const std::string prefix(64, 'x');  // a heap string copied into the callback
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await create_pg(c, "owned");
      wait_options opts;
      opts.initial_interval = 20ms;
      opts.max_interval = 40ms;
      opts.on_progress = [log, prefix](const wait_progress& p) { log->push_back(prefix + std::string(p.state)); };
      co_await async_wait_service_running(c, "demo", "owned", opts);
      // The same options again: the waiter took its own copy.
      co_await async_wait_service_running(c, "demo", "owned", opts);
    });
    REQUIRE(log->size() >= 2);
    CHECK(log->back() == prefix + "RUNNING");
    CHECK(log.use_count() == 1);  // the waiters released their copies
  }

  TEST_CASE("waits until the service is gone after a delete") {
    sim::simulator sim({.service_ready_delay = 0ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    seen s;
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await create_pg(c, "doomed");
      // Deleted by someone else while we wait.
      asio::co_spawn(
          c.get_executor(),
          [&]() -> asio::awaitable<void> {
            asio::steady_timer t(c.get_executor(), 150ms);
            co_await t.async_wait(asio::use_awaitable);
            auto del = api::service_delete_request{.project = "demo", .service_name = "doomed"};
            co_await api::async_service_delete(c, std::move(del));
          },
          asio::detached);
      co_await async_wait_service_deleted(c, "demo", "doomed", fast(s));
    });
    REQUIRE(s.states.size() >= 2);
    CHECK(s.states.front() == "RUNNING");
    CHECK(s.states.back() == "");
    CHECK(sim.executed("DELETE") == 1);
  }

  TEST_CASE("a missing service is an api_error while waiting for RUNNING") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    try {
      test::run(io, [&]() -> asio::awaitable<void> {
        wait_options opts;
        opts.initial_interval = 20ms;
        co_await async_wait_service_running(c, "demo", "nope", opts);
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == errc::not_found);
      CHECK(e.get_diagnostics().http_status == 404);
    }
  }
}
