// A tiny user program: reads its settings like Aiven's tools do, creates a
// service, waits until it runs, lists the project's services, deletes it; with
// the program's own Asio work on the same io_context.
//   consumer CA_FILE   (AIVEN_WEB_URL and AIVEN_TOKEN name the API)
//   consumer --embedded (an aiven::sim::simulator in the process)
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<std::string> own_echo(asio::any_io_executor ex);  // own_asio.cpp

static asio::awaitable<void> run(aiven::client c) {
  auto echo = co_await own_echo(co_await asio::this_coro::executor);
  if (echo != "ping") throw std::runtime_error("own Asio echo answered " + echo);
  auto create = aiven::api::service_create_request{.project = "demo"};
  create.body.service_name = "consumer-pg";
  create.body.service_type = "pg";
  create.body.plan = "hobbyist";
  co_await aiven::api::async_service_create(c, std::move(create));
  aiven::wait_options wait;  // a named variable: never a braced temporary inside co_await
  wait.initial_interval = 50ms;
  auto s = co_await aiven::async_wait_service_running(c, "demo", "consumer-pg", wait);
  auto list_req = aiven::api::service_list_request{.project = "demo"};
  auto list = co_await aiven::api::async_service_list(c, list_req);
  auto del = aiven::api::service_delete_request{.project = "demo", .service_name = "consumer-pg"};
  co_await aiven::api::async_service_delete(c, std::move(del));
  std::printf("consumer ok: aiven-cpp %s, %s is %s, %zu service(s) listed, own Asio echo %s\n",
              AIVEN_VERSION_STRING, s.service_name.c_str(), s.state.str().c_str(), list.size(),
              echo.c_str());
}

int main(int argc, char** argv) {
  asio::io_context io;
  auto opts = aiven::client_options::from_env();
  std::optional<aiven::sim::simulator> sim;
  if (argc > 1 && std::strcmp(argv[1], "--embedded") == 0) {
    sim.emplace(aiven::sim::simulator_options{.service_ready_delay = 300ms});
    opts.base_url = sim->base_url();
    opts.token = sim->token();
    opts.ca_pem = sim->ca_pem();
  } else if (argc > 1) {
    opts.ca_file = argv[1];
  }
  int rc = 0;
  asio::co_spawn(io, run(aiven::client(io.get_executor(), opts)), [&](std::exception_ptr ep) {
    if (!ep) return;
    rc = 1;
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "consumer: %s\n", e.what());
    }
  });
  io.run();
  return rc;
}
