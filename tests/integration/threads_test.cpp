// One client shared by several threads running the same io_context.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_SUITE("integration.threads") {
  TEST_CASE("4 threads run the io_context: 2,000 mixed calls through one client, faults included") {
    sim::simulator sim(sim::simulator_options{.random_fault_rate = 0.05, .random_seed = 7, .random_retry_after_s = 0});
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.pool.max_connections = 8;
    opts.retry = retry_options{.max_attempts = 6, .initial_backoff = 5ms, .max_backoff = 20ms, .resume_spread = 10ms};
    client c(io.get_executor(), opts);
    std::atomic<int> ok{0}, failed{0}, untyped{0};
    for (int i = 0; i < 2000; ++i) {
      asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
        raw_request req = i % 5 == 0 ? raw_request::post("/v1/project/demo/service",
                                                         R"({"service_name":"t)" + std::to_string(i) +
                                                             R"(","service_type":"pg","plan":"hobbyist"})")
                                     : raw_request::get(i % 2 ? "/v1/project/demo" : "/v1/clouds");
        auto [ec, r] = co_await c.async_request(std::move(req), asio::as_tuple(asio::use_awaitable));
        (ec ? failed : ok)++;
        if (ec && ec.category() != aiven_category()) ++untyped;
      }, asio::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { io.run(); });
    for (auto& t : threads) t.join();
    CHECK(ok + failed == 2000);
    CHECK(untyped == 0);
    CHECK(ok >= 1900);  // only POSTs whose answer was lost may fail
    auto s = c.stats();
    CHECK(s.open <= 8);
    CHECK(s.max_open <= 8);
    CHECK(s.waiting == 0);
  }
}
