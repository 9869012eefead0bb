// Testing your own code against the simulator: a doctest test file.
//
// `ensure_service` is the kind of function an application has; the tests run
// it against aiven::sim::simulator, check what the "API" received, and make
// the API misbehave to test the failure paths. No network, no token.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

// ---- application code -------------------------------------------------------

// Returns the service, creating it first if it does not exist, once it runs.
asio::awaitable<aiven::api::service_get_out> ensure_service(aiven::client c, std::string project, std::string name,
                                                            aiven::wait_options wait = {}) {
  const auto get = aiven::api::service_get_request{.project = project, .service_name = name};
  aiven::diagnostics diag;
  auto [ec, existing] = co_await aiven::api::async_service_get(c, get, diag, asio::as_tuple(asio::use_awaitable));
  if (ec && ec != aiven::errc::not_found) throw aiven::api_error(ec, diag);
  if (ec) {
    auto create = aiven::api::service_create_request{.project = project};
    create.body.service_name = name;
    create.body.service_type = "pg";
    create.body.plan = "startup-4";
    co_await aiven::api::async_service_create(c, std::move(create));
  }
  co_return co_await aiven::async_wait_service_running(c, project, name, wait);
}

// ---- tests ------------------------------------------------------------------

namespace {

// Runs a coroutine to completion and returns its result (or rethrows).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
  auto f = asio::co_spawn(io, std::move(a), asio::use_future);
  io.restart();
  io.run();
  return f.get();
}

aiven::client_options options_for(const aiven::sim::simulator& sim) {
  aiven::client_options o;
  o.base_url = sim.base_url();  // https://127.0.0.1:PORT
  o.token = sim.token();
  o.ca_pem = sim.ca_pem();      // trust the simulator's generated CA
  o.retry.initial_backoff = 10ms;
  return o;
}

const aiven::wait_options quick{.timeout = 5s, .initial_interval = 20ms, .max_interval = 100ms};

}  // namespace

TEST_CASE("creates a missing service once, then finds it") {
  aiven::sim::simulator sim({.service_ready_delay = 100ms});
  asio::io_context io;
  aiven::client c(io.get_executor(), options_for(sim));

  auto s = run(io, ensure_service(c, "demo", "db1", quick));
  CHECK(s.state.str() == "RUNNING");
  CHECK(sim.executed("POST", "/v1/project/demo/service") == 1);

  s = run(io, ensure_service(c, "demo", "db1", quick));
  CHECK(s.service_name == "db1");
  CHECK(sim.executed("POST", "/v1/project/demo/service") == 1);  // not created again
}

TEST_CASE("rides out transient server errors") {
  aiven::sim::simulator sim({.service_ready_delay = 0ms});
  sim.inject({.kind = aiven::sim::fault_kind::status, .status = 503, .method = "GET", .count = 2});
  asio::io_context io;
  aiven::client c(io.get_executor(), options_for(sim));
  CHECK(run(io, ensure_service(c, "demo", "db2", quick)).service_name == "db2");
  CHECK(sim.faults_injected() == 2);
}

TEST_CASE("reports what the API refused") {
  aiven::sim::simulator sim;
  sim.inject({.kind = aiven::sim::fault_kind::status, .status = 403, .method = "GET"});
  asio::io_context io;
  aiven::client c(io.get_executor(), options_for(sim));
  try {
    run(io, ensure_service(c, "demo", "db3", quick));
    FAIL("no error");
  } catch (const aiven::api_error& e) {
    CHECK(e.code() == aiven::errc::forbidden);
    CHECK(e.get_diagnostics().http_status == 403);
  }
  CHECK(sim.executed("POST") == 0);  // nothing was created
}
