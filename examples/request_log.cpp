// A readable request log: client_options::on_attempt prints one line per
// attempt (operation, method, path, status, attempt, duration, bytes) and,
// with log_bodies, the bodies with every secret redacted.
#include "example_env.hpp"

#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/observe.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using namespace std::chrono_literals;

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

int main() {
  auto env = example::setup({.service_ready_delay = 0ms});
  auto opts = env.opts;
  opts.retry.initial_backoff = 20ms;
  opts.log_bodies = true;
  std::mutex mu;  // the hook may be called from several threads when the io_context has them
  opts.on_attempt = [&](const aiven::attempt_record& r) {
    // format_attempt would append the bodies whole; print them shortened below its line.
    auto line = r;
    line.request_body = line.response_body = {};
    auto shorten = [](std::string_view b) {
      return b.size() <= 240 ? std::string(b) : std::string(b.substr(0, 160)) + "...";
    };
    std::lock_guard lk(mu);
    std::printf("  %s\n", aiven::format_attempt(line).c_str());
    if (!r.request_body.empty()) std::printf("      sent:     %s\n", shorten(r.request_body).c_str());
    if (!r.response_body.empty()) std::printf("      received: %s\n", shorten(r.response_body).c_str());
  };
  asio::io_context io;
  aiven::client c(io.get_executor(), opts);
  return example::run(io, [&]() -> asio::awaitable<void> {
    std::printf("list projects:\n");
    co_await aiven::api::async_project_list(c);
    if (env.live()) co_return;

    std::printf("create a service whose user config holds secrets:\n");
    auto create = aiven::api::service_create_request{.project = "demo"};
    create.body.service_name = "logged-pg";
    create.body.service_type = "pg";
    create.body.plan = "hobbyist";
    create.body.user_config = boost::json::parse(
        R"({"admin_password": "hunter2", "pg": {"log_min_duration_statement": 100},
            "migration": {"host": "old.example.com", "password": "s3cret", "ssl": true}})");
    co_await aiven::api::async_service_create(c, std::move(create));

    std::printf("a GET retried after two 503s:\n");
    env.sim->inject({.kind = aiven::sim::fault_kind::status, .status = 503, .method = "GET", .count = 2});
    const auto get = aiven::api::service_get_request{.project = "demo", .service_name = "logged-pg"};
    co_await aiven::api::async_service_get(c, get);

    std::printf("a 404:\n");
    const auto missing = aiven::api::service_get_request{.project = "demo", .service_name = "nope"};
    co_await aiven::api::async_service_get(c, missing, asio::as_tuple(asio::use_awaitable));

    std::printf("delete:\n");
    auto del = aiven::api::service_delete_request{.project = "demo", .service_name = "logged-pg"};
    co_await aiven::api::async_service_delete(c, std::move(del));
    std::printf("done\n");
  });
}
