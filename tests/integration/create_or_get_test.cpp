// Create-or-get against the simulator: the first create creates, the second reads the
// existing resource through the 409; another 409 still fails.
#include "support/run.hpp"

#include <aiven/create_or_get.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

api::service_create_request service_req(std::string name, std::string type) {
  api::service_create_request r{.project = "demo"};
  r.body.service_name = std::move(name);
  r.body.service_type = std::move(type);
  r.body.plan = "business-4";
  return r;
}

api::service_kafka_topic_create_request topic_req(std::string topic) {
  api::service_kafka_topic_create_request r{.project = "demo", .service_name = "k1"};
  r.body.topic_name = std::move(topic);
  r.body.partitions = 3;
  return r;
}

}  // namespace

TEST_SUITE("integration.create_or_get") {
  TEST_CASE("service: created, then read through the 409, which the diagnostics show") {
    sim::simulator sim;
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      diagnostics d1;
      auto first = co_await async_create_or_get_service(c, service_req("pg1", "pg"), d1);
      CHECK(first.created);
      CHECK(first.created_out.service_name == "pg1");
      CHECK_FALSE(first.conflict);
      CHECK(d1.http_status == 200);

      diagnostics d2;
      auto again = service_req("pg1", "pg");
      auto [ec, second] = co_await async_create_or_get_service(c, again, d2, asio::as_tuple(asio::use_awaitable));
      CHECK_FALSE(ec);
      CHECK_FALSE(second.created);
      CHECK(second.existing.service_name == "pg1");
      CHECK(second.existing.service_type == "pg");
      REQUIRE(second.conflict);
      CHECK(second.conflict->http_status == 409);
      CHECK(second.conflict->operation == "ServiceCreate");
      CHECK(d2.operation == "ServiceGet");
      CHECK(d2.http_status == 200);
      CHECK(d2.client_message.find("ServiceCreate answered 409") != std::string::npos);
      CHECK(d2.client_message.find("ServiceGet") != std::string::npos);
    });
    CHECK(sim.executed("POST", "/v1/project/demo/service") == 2);
    CHECK(sim.executed("GET", "/v1/project/demo/service/pg1") == 1);
  }

  TEST_CASE("Kafka topic: kafka_topic_already_exists reads the topic; queued_for_deletion still fails") {
    sim::simulator sim({.service_ready_delay = 0ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await async_create_or_get_service(c, service_req("k1", "kafka"));
      auto first = co_await async_create_or_get_kafka_topic(c, topic_req("orders"));
      CHECK(first.created);
      diagnostics d;
      auto second = co_await async_create_or_get_kafka_topic(c, topic_req("orders"), d);
      CHECK_FALSE(second.created);
      CHECK(second.existing.topic_name == "orders");
      REQUIRE(second.conflict);
      CHECK(has_error_code(*second.conflict, api_error_code::kafka_topic_already_exists));

      // Deleting (slowly): a 409 with kafka_topic_queued_for_deletion is not "already exists".
      sim.set_service_ready_delay(1h);
      const api::service_kafka_topic_delete_request del{.project = "demo", .service_name = "k1", .topic_name = "orders"};
      co_await api::async_service_kafka_topic_delete(c, del);
      diagnostics d3;
      auto [ec, third] = co_await async_create_or_get_kafka_topic(c, topic_req("orders"), d3,
                                                                  asio::as_tuple(asio::use_awaitable));
      CHECK(ec == errc::conflict);
      CHECK(d3.http_status == 409);
      CHECK(d3.operation == "ServiceKafkaTopicCreate");
      CHECK(has_error_code(d3, api_error_code::kafka_topic_queued_for_deletion));
      CHECK_FALSE(third.created);
      CHECK_FALSE(third.conflict);
    });
    CHECK(sim.executed("GET", "/v1/project/demo/service/k1/topic/orders") == 1);  // only the one read-through
  }

  TEST_CASE("service user: created, then read; the throwing default token and use_future") {
    sim::simulator sim({.service_ready_delay = 0ms});
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    api::service_user_create_request req{.project = "demo", .service_name = "pg2"};
    req.body.username = "app";
    test::run(io, [&]() -> asio::awaitable<void> {
      co_await async_create_or_get_service(c, service_req("pg2", "pg"));
      auto first = co_await async_create_or_get_service_user(c, req);
      CHECK(first.created);
      CHECK(first.created_out.username == "app");
    });
    auto fut = async_create_or_get_service_user(c, req, asio::use_future);
    io.restart();
    io.run();
    auto second = fut.get();
    CHECK_FALSE(second.created);
    CHECK(second.existing.username == "app");
    REQUIRE(second.conflict);
    CHECK(second.conflict->http_status == 409);
  }

  TEST_CASE("a codeless 409 that is not \"already exists\" fails with errc::conflict and reads nothing") {
    sim::simulator sim;
    sim.respond("POST", "/v1/project/{project}/service", 409,
                R"({"message":"Project has too many services","errors":[{"message":"Project has too many services","status":409}]})");
    asio::io_context io;
    client c(io.get_executor(), test::sim_options(sim));
    diagnostics d;
    bool threw = false;
    try {
      test::run(io, [&]() -> asio::awaitable<void> { co_await async_create_or_get_service(c, service_req("pg3", "pg"), d); });
    } catch (const boost::system::system_error& e) {
      threw = true;
      CHECK(e.code() == errc::conflict);
    }
    CHECK(threw);
    CHECK(d.http_status == 409);
    CHECK(d.message == "Project has too many services");
    CHECK(sim.executed("GET", "/v1/project/demo/service/pg3") == 0);
  }
}
