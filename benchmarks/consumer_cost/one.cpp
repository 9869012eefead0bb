// The one-file user program whose compile cost and size benchmarks/consumer_cost.sh
// measures: create a service, wait until it runs, list, delete.
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/wait.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>

namespace asio = boost::asio;

static asio::awaitable<void> run(aiven::client c) {
  auto create = aiven::api::service_create_request{.project = "demo"};
  create.body.service_name = "one-pg";
  create.body.service_type = "pg";
  create.body.plan = "hobbyist";
  co_await aiven::api::async_service_create(c, std::move(create));
  aiven::wait_options wait;  // a named variable: never a braced temporary inside co_await
  auto s = co_await aiven::async_wait_service_running(c, "demo", "one-pg", wait);
  auto list_req = aiven::api::service_list_request{.project = "demo"};
  auto list = co_await aiven::api::async_service_list(c, list_req);
  auto del = aiven::api::service_delete_request{.project = "demo", .service_name = "one-pg"};
  co_await aiven::api::async_service_delete(c, std::move(del));
  std::printf("%s is %s, %zu listed\n", s.service_name.c_str(), s.state.str().c_str(), list.size());
}

int main() {
  asio::io_context io;
  asio::co_spawn(io, run(aiven::client(io.get_executor(), aiven::client_options::from_env())), asio::detached);
  io.run();
}
