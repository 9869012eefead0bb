// Create a service, wait until it is RUNNING (printing each poll), delete it
// and wait until it is gone.
//
// Against the real API this creates a billed service: it needs AIVEN_PROJECT
// and AIVEN_EXAMPLE_CREATE=yes as well as a token.
#include "example_env.hpp"

#include <aiven/api/service.hpp>
#include <aiven/wait.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

static void print_progress(const aiven::wait_progress& p) {
  std::printf("  poll %u at %5.2f s: %-10s", p.polls, p.elapsed.count() / 1000.0,
              p.state.empty() ? "(gone)" : std::string(p.state).c_str());
  if (p.next_poll_in.count() > 0) std::printf(" next poll in %lld ms", static_cast<long long>(p.next_poll_in.count()));
  std::printf("\n");
}

int main() {
  auto env = example::setup({.service_ready_delay = 1200ms});
  std::string project = "demo";
  if (env.live()) {
    const char* p = std::getenv("AIVEN_PROJECT");
    const char* yes = std::getenv("AIVEN_EXAMPLE_CREATE");
    if (!p || !yes || std::string(yes) != "yes") {
      std::fprintf(stderr, "live run: set AIVEN_PROJECT and AIVEN_EXAMPLE_CREATE=yes (it creates a billed service)\n");
      return 2;
    }
    project = p;
  }
  asio::io_context io;
  aiven::client c(io.get_executor(), env.opts);
  return example::run(io, [&]() -> asio::awaitable<void> {
    auto create = aiven::api::service_create_request{.project = project};
    create.body.service_name = "example-pg";
    create.body.service_type = "pg";
    create.body.plan = "hobbyist";
    create.body.cloud = "google-europe-north1";
    auto created = co_await aiven::api::async_service_create(c, std::move(create));
    std::printf("created example-pg, state %s\n", created.state.str().c_str());

    // Short pauses for the demo; the defaults (2 s growing to 30 s, 30 min) suit real services.
    aiven::wait_options wait{.timeout = 20min, .initial_interval = 200ms, .max_interval = 1s,
                             .on_progress = print_progress};
    if (env.live()) wait.initial_interval = 5s, wait.max_interval = 30s;
    auto running = co_await aiven::async_wait_service_running(c, project, "example-pg", wait);
    std::printf("example-pg is %s (plan %s, cloud %s)\n", running.state.str().c_str(), running.plan.c_str(),
                running.cloud_name.c_str());

    auto del = aiven::api::service_delete_request{.project = project, .service_name = "example-pg"};
    co_await aiven::api::async_service_delete(c, std::move(del));
    std::printf("deleting example-pg\n");
    co_await aiven::async_wait_service_deleted(c, project, "example-pg", wait);
    std::printf("example-pg is gone\n");
  });
}
