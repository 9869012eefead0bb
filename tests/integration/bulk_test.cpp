// aiven::bulk: at most K in flight, results in input order, errors per item.
#include "support/run.hpp"

#include <aiven/api/project.hpp>
#include <aiven/bulk.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <string>
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
}
