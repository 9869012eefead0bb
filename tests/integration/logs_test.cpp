// Service logs beyond 500 entries against the simulator: the walk in time order without
// repeats, bounded walks, following new entries, cancellation.
#include "support/run.hpp"

#include <aiven/logs.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A RUNNING service "pg1" in project "demo" with 3 + `extra` log entries.
void seed(sim::simulator& sim, std::size_t extra) {
  sim.seed(R"({"projects":[{"project_name":"demo","services":[{"service_name":"pg1","service_type":"pg",)"
           R"("log_entries":)" + std::to_string(extra) + "}]}]}");
}

void check_in_order_once(const std::vector<api::log_out>& logs) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    CHECK(seen.insert(logs[i].msg).second);
    if (i > 0) CHECK(*parse_log_time(*logs[i - 1].time) < *parse_log_time(*logs[i].time));
  }
}

}  // namespace

TEST_SUITE("integration.logs") {
  TEST_CASE("a walk gives all 1203 entries in time order, each once, 500 a call") {
    sim::simulator sim;
    seed(sim, 1200);
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    diagnostics d;
    auto logs = test::run(io, [&]() -> asio::awaitable<std::vector<api::log_out>> {
      log_walk_options w;
      co_return co_await async_walk_service_logs(c, "demo", "pg1", w, d);
    });
    CHECK(logs.size() == 1203);
    check_in_order_once(logs);
    CHECK(logs.front().msg == "entry 0 of demo/pg1");
    CHECK(logs.back().msg == "entry 1202 of demo/pg1");
    // 0-500, 500-1000, 1000-1203, then an empty page: caught up.
    CHECK(sim.executed("POST", "/v1/project/demo/service/pg1/logs") == 4);
    CHECK(d.operation == "ProjectGetServiceLogs");
  }

  TEST_CASE("from/to: exactly the entries between two times; on_entries streams pages") {
    sim::simulator sim;
    seed(sim, 900);
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    auto all = test::run(io, [&]() -> asio::awaitable<std::vector<api::log_out>> {
      log_walk_options w;
      w.page_size = 200;
      co_return co_await async_walk_service_logs(c, "demo", "pg1", w);
    });
    REQUIRE(all.size() == 903);
    log_walk_options w;
    w.from = parse_log_time(*all[150].time);
    w.to = parse_log_time(*all[720].time);
    std::vector<api::log_out> streamed;
    std::size_t pages = 0;
    w.on_entries = [&](std::span<const api::log_out> batch) {
      ++pages;
      streamed.insert(streamed.end(), batch.begin(), batch.end());
    };
    auto rest = test::run(io, [&]() -> asio::awaitable<std::vector<api::log_out>> {
      co_return co_await async_walk_service_logs(c, "demo", "pg1", w);
    });
    CHECK(rest.empty());  // given to on_entries instead
    REQUIRE(streamed.size() == 571);
    CHECK(streamed.front() == all[150]);
    CHECK(streamed.back() == all[720]);
    CHECK(pages >= 2);
    check_in_order_once(streamed);
  }

  TEST_CASE("follow picks up new entries; cancellation ends it with operation_aborted") {
    sim::simulator sim;
    seed(sim, 600);
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    asio::cancellation_signal cancel;
    std::vector<api::log_out> got;
    bool added = false;
    log_follow_options f;
    f.interval = 10ms;
    f.on_entries = [&](std::span<const api::log_out> batch) {
      got.insert(got.end(), batch.begin(), batch.end());
      if (got.size() == 603 && !added) {
        added = true;  // caught up with the backlog: new entries appear
        sim.add_service_logs("demo", "pg1", 7);
      } else if (got.size() >= 610) {
        cancel.emit(asio::cancellation_type::terminal);
      }
    };
    diagnostics d;
    auto [ec, n] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, std::size_t>> {
      co_return co_await async_follow_service_logs(
          c, "demo", "pg1", f, d, asio::bind_cancellation_slot(cancel.slot(), asio::as_tuple(asio::use_awaitable)));
    });
    CHECK(ec == asio::error::operation_aborted);
    CHECK(n == 610);
    REQUIRE(got.size() == 610);
    CHECK(got.back().msg == "entry 609 of demo/pg1");
    check_in_order_once(got);
    CHECK(!d.client_message.empty());  // says the follow ended by cancellation
    INFO(d.client_message);
    CHECK((d.client_message.find("cancel") != std::string::npos ||
           d.client_message.find("abort") != std::string::npos));
  }

  TEST_CASE("follow: entries added while it pauses are picked up; the caller's deadline ends it without an error") {
    sim::simulator sim;
    seed(sim, 0);
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    std::vector<std::string> got;
    unsigned batches = 0;
    log_follow_options f;
    f.interval = 20ms;
    f.timeout = 1500ms;  // room for slow (sanitized) builds: the entries come at 200 ms
    f.from = std::chrono::system_clock::now() - 1h;
    f.on_entries = [&](std::span<const api::log_out> batch) {
      ++batches;
      for (const auto& e : batch) got.push_back(e.msg);
    };
    // Two entries appear 200 ms in, while the follow is between polls.
    asio::steady_timer later(io, 200ms);
    later.async_wait([&](error_code) { sim.add_service_logs("demo", "pg1", 2); });
    auto t0 = std::chrono::steady_clock::now();
    auto n = test::run(io, [&]() -> asio::awaitable<std::size_t> {
      co_return co_await async_follow_service_logs(c, "demo", "pg1", f);
    });
    CHECK(std::chrono::steady_clock::now() - t0 >= 1500ms);
    CHECK(n == 5);
    CHECK(got == std::vector<std::string>{"entry 0 of demo/pg1", "entry 1 of demo/pg1", "entry 2 of demo/pg1",
                                          "entry 3 of demo/pg1", "entry 4 of demo/pg1"});
    CHECK(batches == 2);  // the 3 of a new service, then the 2 added later
    CHECK(sim.executed("POST", "/v1/project/demo/service/pg1/logs") >= 4);
  }

  TEST_CASE("invalid options are errc::invalid_argument; an unknown service is the API's 404") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      diagnostics d;
      log_walk_options w;
      w.page_size = 501;
      auto [ec, v] = co_await async_walk_service_logs(c, "demo", "pg1", w, d, asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::invalid_argument);
      log_follow_options f;  // no on_entries
      auto [ec2, n] = co_await async_follow_service_logs(c, "demo", "pg1", f, d, asio::as_tuple(asio::use_awaitable));
      CHECK(ec2 == errc::invalid_argument);
      log_walk_options ok;
      auto [ec3, v3] = co_await async_walk_service_logs(c, "demo", "nope", ok, d, asio::as_tuple(asio::use_awaitable));
      CHECK(ec3 == errc::not_found);
      CHECK(d.http_status == 404);
    });
  }
}
