// Aiven's error codes, typed, on a real call: a 409 "already exists" told from other conflicts.
#include "support/run.hpp"
#include "support/script_server.hpp"

#include <aiven/api/service_kafka.hpp>
#include <aiven/diagnostics.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace aiven;
namespace asio = boost::asio;

TEST_SUITE("integration.error_codes") {
  TEST_CASE("a 409 with kafka_topic_already_exists: typed on the error item, found by has_error_code") {
    test::script_server srv([](const test::scripted_request& r) -> test::scripted_response {
      if (r.body.find("\"taken\"") != std::string::npos)
        return {409, R"({"message":"Topic 'taken' already exists","errors":[{"error_code":"kafka_topic_already_exists",)"
                     R"("message":"Topic 'taken' already exists","status":409}]})"};
      return {409, R"({"message":"Service not powered","errors":[{"error_code":"not_powered","message":"x","status":409},)"
                   R"({"error_code":"brand_new_code","message":"y","status":409}]})"};
    });
    asio::io_context io;
    client c(io.get_executor(), srv.options());
    auto create = [&](std::string topic, diagnostics& d) {
      return test::run(io, [&]() -> asio::awaitable<error_code> {
        auto req = api::service_kafka_topic_create_request{.project = "p", .service_name = "k"};
        req.body.topic_name = topic;
        auto [ec, out] = co_await api::async_service_kafka_topic_create(c, req, d, asio::as_tuple(asio::use_awaitable));
        co_return ec;
      });
    };
    diagnostics exists;
    CHECK(create("taken", exists) == errc::conflict);
    REQUIRE(exists.errors.size() == 1);
    CHECK(exists.errors[0].code() == api_error_code::kafka_topic_already_exists);
    CHECK(has_error_code(exists, api_error_code::kafka_topic_already_exists));
    CHECK(is_already_exists(exists));

    diagnostics other;
    CHECK(create("fresh", other) == errc::conflict);
    REQUIRE(other.errors.size() == 2);
    CHECK(other.errors[0].code() == api_error_code::not_powered);
    CHECK(other.errors[1].code().value() == api_error_code::unknown);
    CHECK(other.errors[1].code().str() == "brand_new_code");  // an unknown code keeps its string
    CHECK(!has_error_code(other, api_error_code::kafka_topic_already_exists));
    CHECK(!is_already_exists(other));
    CHECK(first_error_code(other) == api_error_code::not_powered);
  }
}
