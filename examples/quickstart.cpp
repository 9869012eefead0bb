// Quickstart: list clouds and projects, create a service, wait until it runs,
// then 1,000 concurrent GETs through the keep-alive pool.
//
// Without AIVEN_TOKEN it starts the local Aiven API simulator in-process and
// runs against it. With AIVEN_TOKEN (and optionally AIVEN_WEB_URL) it runs only
// read-only calls against the real API.
#include <aiven/api/cloud_platforms.hpp>
#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

static double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// ProjectList is marked deprecated in the API document but is what the API
// and its official clients still use to list projects.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static asio::awaitable<aiven::api::project_list_out> list_projects(const aiven::client& c) {
  co_return co_await aiven::api::async_project_list(c);
}
#pragma GCC diagnostic pop

static asio::awaitable<void> demo(aiven::client c, bool live) {
  auto start = clock_type::now();

  auto clouds = co_await aiven::api::async_list_clouds(c);
  std::printf("clouds:    %zu available, e.g. %s\n", clouds.size(),
              clouds.empty() ? "-" : clouds.front().cloud_name.c_str());

  auto projects = co_await list_projects(c);
  std::printf("projects:  %zu:", projects.projects.size());
  for (auto& p : projects.projects) std::printf(" %s", p.project_name.c_str());
  std::printf("\n");
  if (projects.projects.empty()) co_return;
  const std::string project = projects.projects.front().project_name;

  if (live) {
    aiven::api::service_list_request list{.project = project};
    auto services = co_await aiven::api::async_service_list(c, std::move(list));
    std::printf("services:  %zu in project %s\n", services.size(), project.c_str());
    std::printf("read-only run against %s finished in %.2f s\n", c.options().base_url.c_str(), seconds_since(start));
    co_return;
  }

  // Create a service and wait until it is RUNNING.
  aiven::api::service_create_request create{.project = project};
  create.body.service_name = "demo-pg";
  create.body.service_type = "pg";
  create.body.plan = "hobbyist";
  create.body.cloud = "google-europe-north1";
  auto created = co_await aiven::api::async_service_create(c, std::move(create));
  std::printf("created:   %s (%s) in state %s\n", created.service_name.c_str(), created.service_type.c_str(),
              created.state.str().c_str());
  auto wait_start = clock_type::now();
  asio::steady_timer timer(c.get_executor());
  // Requests are named variables, not braces inside co_await: see README, "Compilers".
  const aiven::api::service_get_request get{.project = project, .service_name = "demo-pg"};
  for (;;) {
    auto s = co_await aiven::api::async_service_get(c, get);
    if (s.state.value() == aiven::api::service_state_type::running) break;
    timer.expires_after(200ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  std::printf("running:   demo-pg after %.2f s\n", seconds_since(wait_start));

  // 1,000 concurrent typed GETs; the pool keeps at most pool.max_connections open.
  // Single-flight would let identical concurrent GETs share one request: turn it
  // off here so that every GET goes on the wire.
  const aiven::client wire = c.with(aiven::call_options{.single_flight = false});
  constexpr int n = 1000;
  int ok = 0, failed = 0, pending = n;
  asio::steady_timer done(c.get_executor(), clock_type::time_point::max());
  auto burst_start = clock_type::now();
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        c.get_executor(),
        [&]() -> asio::awaitable<void> {
          auto [ec, s] = co_await aiven::api::async_service_get(wire, get, asio::as_tuple(asio::use_awaitable));
          (!ec && s.service_name == "demo-pg" ? ok : failed)++;
          if (--pending == 0) done.cancel();
        },
        asio::detached);
  }
  co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  double burst = seconds_since(burst_start);
  auto st = c.stats();
  std::printf("burst:     %d concurrent GETs: %d ok, %d failed in %.3f s (%.0f req/s)\n", n, ok, failed, burst,
              n / burst);
  std::printf("pool:      %llu connections opened (TLS handshakes), %llu reuses, at most %zu open\n",
              static_cast<unsigned long long>(st.connections_opened),
              static_cast<unsigned long long>(st.connections_reused), st.max_open);

  aiven::api::service_delete_request del{.project = project, .service_name = "demo-pg"};
  co_await aiven::api::async_service_delete(c, std::move(del));
  std::printf("deleted:   demo-pg\n");
  std::printf("total:     %.2f s\n", seconds_since(start));
  if (failed) throw std::runtime_error("some calls failed");
}

int main() {
  auto opts = aiven::client_options::from_env();
  const bool live = !opts.token.empty();
  std::unique_ptr<aiven::sim::simulator> sim;
  if (!live) {
    sim = std::make_unique<aiven::sim::simulator>(aiven::sim::simulator_options{.service_ready_delay = 1500ms});
    opts.base_url = sim->base_url();
    opts.token = sim->token();
    opts.ca_pem = sim->ca_pem();
    std::printf("No AIVEN_TOKEN set: using the local Aiven API simulator at %s\n", opts.base_url.c_str());
  } else {
    std::printf("Using %s (read-only calls)\n", opts.base_url.c_str());
  }

  asio::io_context io;
  aiven::client c(io.get_executor(), opts);
  int rc = 0;
  asio::co_spawn(io, demo(c, live), [&](std::exception_ptr ep) {
    if (!ep) return;
    rc = 1;
    try {
      std::rethrow_exception(ep);
    } catch (const aiven::api_error& e) {
      std::fprintf(stderr, "error: %s [%s]\n", e.what(), e.code().message().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  });
  io.run();
  return rc;
}
