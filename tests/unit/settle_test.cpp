// settle_tracker, with an injected clock: which failed reads are retried, for how long, how often.
#include <aiven/settle.hpp>

#include <doctest/doctest.h>

using namespace aiven;
using namespace std::chrono_literals;

namespace {

struct fake_clock {
  settle_tracker::clock::time_point t{};
  std::function<settle_tracker::clock::time_point()> fn() {
    return [this] { return t; };
  }
};

}  // namespace

TEST_SUITE("util.settle") {
  TEST_CASE("a GET of a resource this client just created is retried on 404/403/501, with growing pauses") {
    fake_clock clk;
    settle_tracker s(settle_options{.window = 60s, .initial_backoff = 250ms, .max_backoff = 2s}, clk.fn());
    s.record_success(http_method::post, "/v1/project/p/service", R"({"service_name":"pg1","plan":"hobbyist"})",
                     R"({"service":{"service_name":"pg1","state":"REBUILDING"}})");
    const auto deadline = clk.t + 30s;
    CHECK(s.retry_after(http_method::get, "/v1/project/p/service/pg1", 404, 0, deadline) == 250ms);
    CHECK(s.retry_after(http_method::get, "/v1/project/p/service/pg1?include_secrets=true", 403, 1, deadline) == 500ms);
    CHECK(s.retry_after(http_method::get, "/v1/project/p/service/pg1/topic/t", 501, 2, deadline) == 1000ms);
    CHECK(s.retry_after(http_method::get, "/v1/project/p/service/pg1", 404, 5, deadline) == 2s);  // capped
  }

  TEST_CASE("never for a resource it did not create, another status, a write, or after the window") {
    fake_clock clk;
    settle_tracker s(settle_options{.window = 60s}, clk.fn());
    s.record_success(http_method::post, "/v1/project/p/service", R"({"service_name":"pg1"})");
    const auto deadline = clk.t + 300s;
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg2", 404, 0, deadline));   // not ours
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg10", 404, 0, deadline));  // a prefix is not a parent
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service", 404, 0, deadline));       // the collection
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg1", 500, 0, deadline));   // the client's own retries
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg1", 409, 0, deadline));
    CHECK(!s.retry_after(http_method::delete_, "/v1/project/p/service/pg1", 404, 0, deadline));
    CHECK(s.retry_after(http_method::get, "/v1/project/p/service/pg1", 404, 0, deadline));
    clk.t += 61s;
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg1", 404, 0, deadline));  // window over
    CHECK(!s.created_recently("/v1/project/p/service/pg1"));
  }

  TEST_CASE("never past the call's deadline; at most max_retries") {
    fake_clock clk;
    settle_tracker s(settle_options{.initial_backoff = 1s, .max_retries = 3}, clk.fn());
    s.record_success(http_method::put, "/v1/project/p/kafka/acl/x");
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/kafka/acl/x", 404, 0, clk.t + 900ms));
    CHECK(s.retry_after(http_method::get, "/v1/project/p/kafka/acl/x", 404, 0, clk.t + 1100ms) == 1s);
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/kafka/acl/x", 404, 3, clk.t + 100s));
  }

  TEST_CASE("ids from the response: a VPC or an integration created by POST") {
    fake_clock clk;
    settle_tracker s({}, clk.fn());
    s.record_success(http_method::post, "/v1/project/p/vpcs", R"({"cloud_name":"aws","network_cidr":"10.0.0.0/24"})",
                     R"({"project_vpc_id":"a1b2","state":"APPROVED"})");
    CHECK(s.created_recently("/v1/project/p/vpcs/a1b2"));
    CHECK(!s.created_recently("/v1/project/p/vpcs/other"));
    s.record_success(http_method::post, "/v1/project/p/integration", R"({"integration_type":"metrics"})",
                     R"({"service_integration":{"service_integration_id":"i-9"}})");
    CHECK(s.created_recently("/v1/project/p/integration/i-9"));
    // A failed or non-JSON create records nothing.
    s.record_success(http_method::post, "/v1/project/p/service", "not json", "");
    CHECK(!s.created_recently("/v1/project/p/service/not"));
  }

  TEST_CASE("a successful DELETE forgets the resource: its 404 is the truth now") {
    fake_clock clk;
    settle_tracker s({}, clk.fn());
    s.record_success(http_method::post, "/v1/project/p/service", R"({"service_name":"pg1"})");
    s.record_success(http_method::post, "/v1/project/p/service", R"({"service_name":"pg2"})");
    CHECK(s.created_recently("/v1/project/p/service/pg1/topic/x"));
    s.record_success(http_method::delete_, "/v1/project/p/service/pg1");
    CHECK(!s.created_recently("/v1/project/p/service/pg1"));
    CHECK(!s.retry_after(http_method::get, "/v1/project/p/service/pg1", 404, 0, clk.t + 60s));
    CHECK(s.created_recently("/v1/project/p/service/pg2"));
  }
}
