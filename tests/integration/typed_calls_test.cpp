// The generated typed operations the quickstart uses, against the simulator.
#include "support/run.hpp"

#include <aiven/api/cloud_platforms.hpp>
#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

// ProjectList and ProjectGet are marked deprecated in the document; they are
// still what the API serves.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

TEST_SUITE("integration.typed") {
  TEST_CASE("list clouds without a token") {
    sim::simulator sim;
    asio::io_context io;
    auto opts = test::sim_options(sim);
    opts.token.clear();
    client c(io.get_executor(), opts);
    auto clouds = test::run(io, [&]() -> asio::awaitable<std::vector<api::cloud_out>> {
      co_return co_await api::async_list_clouds(c);
    });
    CHECK(clouds.size() >= 50);
    bool found = false;
    for (auto& cl : clouds) found |= cl.cloud_name == "aws-eu-west-1" && !cl.geo_region.empty();
    CHECK(found);
    REQUIRE(sim.requests().size() == 1);
    CHECK(sim.requests()[0].target == "/v1/clouds");
  }

  TEST_CASE("list and get projects") {
    sim::simulator sim;
    sim.add_project("second");
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      auto list = co_await api::async_project_list(c);
      REQUIRE(list.projects.size() == 2);
      CHECK(list.projects[0].project_name == "demo");
      CHECK(list.projects[1].project_name == "second");
      api::project_get_request get{.project = "second"};
      auto p = co_await api::async_project_get(c, get);  // unwrapped from {"project": {...}}
      CHECK(p.project_name == "second");
      CHECK_FALSE(p.default_cloud.empty());
    });
  }

  TEST_CASE("create, list, get until RUNNING, delete a service") {
    sim::simulator sim(sim::simulator_options{.service_ready_delay = 300ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      api::service_create_request create{.project = "demo"};
      create.body.service_name = "pg-1";
      create.body.service_type = "pg";
      create.body.plan = "startup-4";
      create.body.cloud = "aws-eu-west-1";
      auto created = co_await api::async_service_create(c, std::move(create));
      CHECK(created.service_name == "pg-1");
      CHECK(created.state.value() == api::service_state_type::rebuilding);
      CHECK(created.state.str() == "REBUILDING");

      api::service_list_request list{.project = "demo"};
      auto services = co_await api::async_service_list(c, list);
      REQUIRE(services.size() == 1);
      CHECK(services[0].service_name == "pg-1");

      api::service_get_request get{.project = "demo", .service_name = "pg-1"};
      auto s = co_await api::async_service_get(c, get);
      CHECK(s.plan == "startup-4");
      CHECK(s.service_type == "pg");
      auto until = std::chrono::steady_clock::now() + 5s;
      asio::steady_timer t(c.get_executor());
      while (s.state.value() != api::service_state_type::running && std::chrono::steady_clock::now() < until) {
        t.expires_after(50ms);
        co_await t.async_wait(asio::use_awaitable);
        s = co_await api::async_service_get(c, get);
      }
      CHECK(s.state.value() == api::service_state_type::running);

      api::service_delete_request del{.project = "demo", .service_name = "pg-1"};
      co_await api::async_service_delete(c, del);
      diagnostics diag;
      auto [ec, gone] = co_await api::async_service_get(c, get, diag, asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::not_found);
      CHECK(diag.operation == "ServiceGet");
      CHECK(diag.http_status == 404);
      CHECK(gone.service_name.empty());
    });
    // The body went out as the document describes it.
    bool seen = false;
    for (auto& r : sim.requests()) {
      if (r.method != "POST") continue;
      seen = true;
      CHECK(r.target == "/v1/project/demo/service");
      CHECK(r.body.find("\"service_name\":\"pg-1\"") != std::string::npos);
      CHECK(r.body.find("project_vpc_id") == std::string::npos);  // absent optionals are omitted
    }
    CHECK(seen);
  }

  TEST_CASE("path parameters are percent-encoded into one segment") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    api::service_get_request get{.project = "demo", .service_name = "a/b?c#d %e"};
    auto [ec] = test::run(io, [&]() -> asio::awaitable<std::tuple<error_code>> {
      auto [e, s] = co_await api::async_service_get(c, get, asio::as_tuple(asio::use_awaitable));
      co_return std::tuple{e};
    });
    CHECK(ec == errc::not_found);
    REQUIRE(sim.requests().size() == 1);
    CHECK(sim.requests()[0].target == "/v1/project/demo/service/a%2Fb%3Fc%23d%20%25e");
  }
}
