// Idempotent setup with create-or-get (run it twice: the second run reads what exists),
// then a service's whole log past the API's 500 entries a call, then a short follow.
//
// Against the real API it needs AIVEN_PROJECT and AIVEN_SERVICE (an existing Kafka
// service): it creates the topic "example-orders" and the service user "example-app" there.
#include "example_env.hpp"

#include <aiven/create_or_get.hpp>
#include <aiven/logs.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;

int main() {
  auto env = example::setup({.service_ready_delay = 0ms});
  std::string project = "demo", service = "example-kafka";
  if (env.live()) {
    const char* p = std::getenv("AIVEN_PROJECT");
    const char* s = std::getenv("AIVEN_SERVICE");
    if (!p || !s) {
      std::fprintf(stderr, "live run: set AIVEN_PROJECT and AIVEN_SERVICE (an existing Kafka service)\n");
      return 2;
    }
    project = p;
    service = s;
  } else {
    // A Kafka service with a long log: 3 entries of its creation and 1,200 more.
    env.sim->seed(R"({"projects":[{"project_name":"demo","services":[{"service_name":"example-kafka",)"
                  R"("service_type":"kafka","log_entries":1200}]}]})");
  }
  asio::io_context io;
  aiven::client c(io.get_executor(), env.opts);
  return example::run(io, [&]() -> asio::awaitable<void> {
    // Twice, as a rerun of a setup script would: the second time through the 409.
    for (int run = 1; run <= 2; ++run) {
      aiven::api::service_kafka_topic_create_request topic{.project = project, .service_name = service};
      topic.body.topic_name = "example-orders";
      topic.body.partitions = 3;
      aiven::diagnostics diag;
      auto t = co_await aiven::async_create_or_get_kafka_topic(c, topic, diag);
      std::printf("run %d: topic example-orders %s\n", run,
                  t.created ? "created" : ("exists (" + t.existing.state.str() + "; " + diag.client_message + ")").c_str());
      aiven::api::service_user_create_request user{.project = project, .service_name = service};
      user.body.username = "example-app";
      auto u = co_await aiven::async_create_or_get_service_user(c, user);
      std::printf("run %d: user example-app %s\n", run, u.created ? "created" : "exists");
    }

    // Every entry, oldest first, 500 a call.
    aiven::log_walk_options walk;
    auto all = co_await aiven::async_walk_service_logs(c, project, service, walk);
    std::printf("%zu log entries, first at %s, last: %s\n", all.size(), all.front().time.value_or("?").c_str(),
                all.back().msg.c_str());

    // Follow for a moment: new entries as they come, then cancel.
    if (!env.live()) env.sim->add_service_logs(project, service, 5);
    asio::cancellation_signal stop;
    asio::steady_timer t(co_await asio::this_coro::executor, env.live() ? 10s : 300ms);
    t.async_wait([&](boost::system::error_code) { stop.emit(asio::cancellation_type::terminal); });
    aiven::log_follow_options follow;
    follow.from = aiven::parse_log_time(*all.back().time);
    follow.interval = env.live() ? 2s : 50ms;
    std::size_t seen = 0;
    follow.on_entries = [&seen](std::span<const aiven::api::log_out> batch) { seen += batch.size(); };
    auto [ec, n] = co_await aiven::async_follow_service_logs(
        c, project, service, follow, asio::bind_cancellation_slot(stop.slot(), asio::as_tuple(asio::use_awaitable)));
    std::printf("followed: %zu entries from the last one on (%s)\n", seen,
                ec == asio::error::operation_aborted ? "stopped" : ec.message().c_str());
    std::printf("done\n");
  });
}
