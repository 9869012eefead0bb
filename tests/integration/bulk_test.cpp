// aiven::bulk: at most K in flight, results in input order, errors per item.
#include "support/run.hpp"

#include <aiven/api/project.hpp>
#include <aiven/bulk.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <tuple>
#include <thread>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

TEST_SUITE("integration.bulk") {
  TEST_CASE("K in flight, input order, typed results and errors") {
    sim::simulator sim;
    for (int i = 0; i < 12; ++i) sim.add_project("p" + std::to_string(i));
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    std::vector<std::string> names;
    for (int i = 11; i >= 0; --i) names.push_back(i % 4 == 3 ? "missing" + std::to_string(i) : "p" + std::to_string(i));
    int in_flight = 0, peak = 0;
    auto results = test::run(io, [&]() -> asio::awaitable<std::vector<outcome<api::project_get_out>>> {
      co_return co_await bulk(names, 3, [&](const std::string& p) -> asio::awaitable<api::project_get_out> {
        struct counted {
          int& n;
          explicit counted(int& x, int& peak) : n(x) { peak = std::max(peak, ++n); }
          ~counted() { --n; }
        } guard(in_flight, peak);
        asio::steady_timer t(c.get_executor(), 20ms);  // keep the calls overlapping
        co_await t.async_wait(asio::use_awaitable);
        auto req = api::project_get_request{.project = p};
        co_return co_await api::async_project_get(c, req);
      });
    });
    CHECK(peak == 3);
    REQUIRE(results.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i].starts_with("missing")) {
        CHECK_FALSE(results[i]);
        CHECK(results[i].ec == errc::not_found);
        CHECK(results[i].error_message().find("404") != std::string::npos);
      } else {
        REQUIRE(results[i]);
        CHECK(results[i].value->project_name == names[i]);
        CHECK(results[i].error_message().empty());
      }
    }
  }

  TEST_CASE("raced against a timer: cancellation reaches every worker, nothing outlives the operation") {
    // Under ASan this was a heap-use-after-free: detached workers wrote into a freed frame.
    asio::io_context io;
    std::vector<int> items(20);
    for (int i = 0; i < 20; ++i) items[i] = i;
    auto alive = std::make_shared<int>(0);
    int started = 0, finished = 0;
    auto slow = [&, alive](const int& i) -> asio::awaitable<int> {
      ++*alive;
      ++started;
      struct leave {
        std::shared_ptr<int> a;
        int& f;
        ~leave() { --*a; ++f; }
      } guard{alive, finished};
      asio::steady_timer t(co_await asio::this_coro::executor, 10s);
      co_await t.async_wait(asio::use_awaitable);  // cancelled: throws operation_aborted
      co_return i;
    };
    using namespace boost::asio::experimental::awaitable_operators;
    auto which = test::run(io, [&]() -> asio::awaitable<std::size_t> {
      asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
      auto r = co_await (bulk(items, 4, slow, asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
      // The operation completed only after every worker had returned.
      CHECK(*alive == 0);
      co_return r.index();
    });
    CHECK(which == 1);  // the timer won
    CHECK(started == 4);
    CHECK(finished == 4);
    CHECK(*alive == 0);
  }

  TEST_CASE("cancelled through its slot: operation_aborted, outcomes so far, diagnostics") {
    asio::io_context io;
    std::vector<int> items{1, 2, 3, 4, 5, 6};
    auto f = [&](const int& i) -> asio::awaitable<int> {
      asio::steady_timer t(co_await asio::this_coro::executor, i <= 2 ? 1ms : 10s);
      co_await t.async_wait(asio::use_awaitable);
      co_return i * 10;
    };
    asio::cancellation_signal sig;
    diagnostics diag;
    error_code got;
    std::vector<outcome<int>> results;
    bulk(items, 2, f, diag, asio::bind_cancellation_slot(sig.slot(), asio::bind_executor(io, [&](error_code ec, std::vector<outcome<int>> r) {
                                                                                               got = ec;
                                                                                               results = std::move(r);
                                                                                             })));
    asio::steady_timer t(io, 150ms);
    t.async_wait([&](error_code) { sig.emit(asio::cancellation_type::terminal); });
    io.run();
    CHECK(got == asio::error::operation_aborted);
    REQUIRE(results.size() == 6);
    CHECK(*results[0].value == 10);
    CHECK(*results[1].value == 20);
    // Items 3 and 4 were running and were cancelled; 5 and 6 never started.
    CHECK(results[2].ec == asio::error::operation_aborted);
    CHECK(results[3].ec == asio::error::operation_aborted);
    CHECK(results[4].ec == asio::error::operation_aborted);
    CHECK(!results[5]);
    CHECK(diag.client_message == "bulk: cancelled; 4 of 6 items finished");
  }

  TEST_CASE("as_tuple, use_future and an empty input") {
    asio::io_context io;
    std::vector<std::string> none;
    auto f = [](const std::string& s) -> asio::awaitable<std::size_t> { co_return s.size(); };
    auto [ec, r] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code, std::vector<outcome<std::size_t>>>> {
      co_return co_await bulk(none, 3, f, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(!ec);
    CHECK(r.empty());
    std::vector<std::string> words{"a", "bb", "ccc"};
    auto fut = bulk(words, 2, f, asio::bind_executor(io, asio::use_future));
    io.restart();
    io.run();
    auto out = fut.get();
    REQUIRE(out.size() == 3);
    CHECK(*out[2].value == 3);
  }
}
