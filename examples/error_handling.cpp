// The error model in practice: exceptions with diagnostics, error codes
// without exceptions, what is retried, typed waiter errors, bad input.
#include "example_env.hpp"

#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>

namespace asio = boost::asio;
using namespace std::chrono_literals;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

int main() {
  auto env = example::setup({.service_ready_delay = 60s});
  asio::io_context io;
  auto opts = env.opts;
  opts.retry.initial_backoff = 50ms;  // quick retries for the demo
  aiven::client c(io.get_executor(), opts);
  const aiven::api::project_list_request list{};
  return example::run(io, [&]() -> asio::awaitable<void> {
    // 1. The default token throws aiven::api_error: code() + the call's diagnostics.
    try {
      auto get = aiven::api::service_get_request{.project = "demo", .service_name = "no-such-service"};
      co_await aiven::api::async_service_get(c, get);
    } catch (const aiven::api_error& e) {
      const auto& d = e.get_diagnostics();
      std::printf("1. caught api_error, code=%s status=%u message=\"%s\"\n", e.code().message().c_str(), d.http_status,
                  d.message.c_str());
      std::printf("   %s\n", d.to_string().c_str());
      if (e.code() == aiven::errc::not_found) std::printf("   -> not found: create it or report it\n");
    }

    // 2. No exceptions: as_tuple gives the error_code; the diagnostics object is yours.
    {
      aiven::client_options bad = opts;
      bad.token = "wrong-token";
      aiven::client wrong(c.get_executor(), bad);
      aiven::diagnostics diag;
      auto [ec, projects] = co_await aiven::api::async_project_list(wrong, list, diag, asio::as_tuple(asio::use_awaitable));
      std::printf("2. error_code: %s (unauthorized: %s), HTTP %u, %u attempt(s)\n", ec.message().c_str(),
                  ec == aiven::errc::unauthorized ? "yes" : "no", diag.http_status, diag.attempts);
    }

    if (env.live()) co_return;  // the rest injects faults into the simulator

    // 3. Transient failures are retried with backoff: two 503s, then the answer.
    env.sim->inject({.kind = aiven::sim::fault_kind::status, .status = 503, .path_prefix = "/v1/project", .count = 2});
    {
      aiven::diagnostics diag;
      auto [ec, projects] = co_await aiven::api::async_project_list(c, list, diag, asio::as_tuple(asio::use_awaitable));
      std::printf("3. after two 503s: %s, %zu project(s), %u attempts\n", ec ? ec.message().c_str() : "ok",
                  projects.projects.size(), diag.attempts);
    }

    // 4. A 429 names when to come back; the client waits that long, then retries.
    env.sim->inject({.kind = aiven::sim::fault_kind::rate_limit, .retry_after_s = 1, .path_prefix = "/v1/project"});
    {
      aiven::diagnostics diag;
      auto t0 = std::chrono::steady_clock::now();
      auto [ec, projects] = co_await aiven::api::async_project_list(c, list, diag, asio::as_tuple(asio::use_awaitable));
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("4. after a 429 (retry after 1 s): %s in %.1f s, %u attempts\n", ec ? ec.message().c_str() : "ok", s,
                  diag.attempts);
    }

    // 5. A waiter's deadline is errc::timeout; the diagnostics name the last state seen.
    {
      auto create = aiven::api::service_create_request{.project = "demo"};
      create.body.service_name = "slow-pg";
      create.body.service_type = "pg";
      create.body.plan = "hobbyist";
      co_await aiven::api::async_service_create(c, std::move(create));
      aiven::wait_options wait;  // named: never a braced temporary inside co_await (GCC 12)
      wait.timeout = 500ms;
      wait.initial_interval = 100ms;
      try {
        co_await aiven::async_wait_service_running(c, "demo", "slow-pg", wait);
      } catch (const aiven::api_error& e) {
        std::printf("5. caught the deadline, %s (code %s)\n", e.get_diagnostics().client_message.c_str(),
                    e.code().message().c_str());
      }
    }

    // 6. Bad input is refused before anything is sent.
    try {
      aiven::client_options o;
      o.base_url = "ftp://api.aiven.io";
      aiven::client bad(c.get_executor(), o);
    } catch (const std::invalid_argument& e) {
      std::printf("6. caught invalid_argument, %s\n", e.what());
    }
    std::printf("done\n");
  });
}
