// A tiny user program: reads its settings like Aiven's tools do, creates a
// service, waits until it runs, lists the project's services, deletes it.
//   consumer CA_FILE   (AIVEN_WEB_URL and AIVEN_TOKEN name the API)
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

namespace asio = boost::asio;
using namespace std::chrono_literals;

static asio::awaitable<void> run(aiven::client c) {
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
  std::printf("consumer ok: aiven-cpp %s, %s is %s, %zu service(s) listed\n", AIVEN_VERSION_STRING,
              s.service_name.c_str(), s.state.str().c_str(), list.size());
}

int main(int argc, char** argv) {
  auto opts = aiven::client_options::from_env();
  if (argc > 1) opts.ca_file = argv[1];
  asio::io_context io;
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
