// client_options::on_attempt: one record per attempt, with the fields a
// request log needs, and nothing secret in it.
#include "support/run.hpp"

#include <aiven/client.hpp>
#include <aiven/observe.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct captured {
  std::string operation_id, target, line, request_body, response_body;
  unsigned attempt, status;
  error_code error;
  std::size_t request_bytes, response_bytes;
  bool will_retry;
};

struct log_sink {
  std::mutex mu;
  std::vector<captured> records;
  void install(client_options& o) {
    o.on_attempt = [this](const attempt_record& r) {
      std::lock_guard lk(mu);
      records.push_back({std::string(r.operation_id), std::string(r.target), format_attempt(r),
                         std::string(r.request_body), std::string(r.response_body), r.attempt, r.status, r.error,
                         r.request_bytes, r.response_bytes, r.will_retry});
    };
  }
};

}  // namespace

TEST_CASE("on_attempt reports each attempt of a retried call") {
  sim::simulator sim;
  asio::io_context io;
  auto o = test::sim_options(sim);
  o.retry.initial_backoff = 5ms;
  log_sink log;
  log.install(o);
  client c(io.get_executor(), o);
  sim.inject({.kind = sim::fault_kind::status, .status = 503, .path_prefix = "/v1/project"});
  auto r = test::run(io, [&]() -> asio::awaitable<raw_response> {
    auto req = raw_request::get("/v1/project");
    req.operation_id = "ProjectList";
    co_return co_await c.async_request(std::move(req), asio::use_awaitable);
  });
  CHECK(r.status == 200);
  REQUIRE(log.records.size() == 2);
  CHECK(log.records[0].operation_id == "ProjectList");
  CHECK(log.records[0].target == "/v1/project");
  CHECK(log.records[0].attempt == 1);
  CHECK(log.records[0].status == 503);
  CHECK(log.records[0].error == errc::server_error);
  CHECK(log.records[0].will_retry);
  CHECK(log.records[1].attempt == 2);
  CHECK(log.records[1].status == 200);
  CHECK(!log.records[1].error);
  CHECK(!log.records[1].will_retry);
  CHECK(log.records[1].response_bytes == r.body.size());
  CHECK(log.records[1].request_body.empty());  // log_bodies is off
  CHECK(log.records[1].line.rfind("GET /v1/project 200 ", 0) == 0);
}

TEST_CASE("on_attempt with bodies: secrets redacted, include_secrets responses never given, token never") {
  sim::simulator sim({.tokens = {"RECOGNISABLE-TOKEN-8d1f"}});
  asio::io_context io;
  auto o = test::sim_options(sim);
  o.log_bodies = true;
  log_sink log;
  log.install(o);
  client c(io.get_executor(), o);
  auto [created, plain, secret] = test::run(io, [&]() -> asio::awaitable<std::tuple<raw_response, raw_response, raw_response>> {
    auto create = raw_request::post("/v1/project/demo/service",
                                    R"({"service_name":"pg1","service_type":"pg","plan":"hobbyist",
                                        "user_config":{"admin_password":"MY-ADMIN-PW-123"}})");
    auto a = co_await c.async_request(std::move(create), asio::use_awaitable);
    auto get = raw_request::get("/v1/project/demo/service/pg1");
    auto b = co_await c.async_request(std::move(get), asio::use_awaitable);
    auto get_secret = raw_request::get("/v1/project/demo/service/pg1");
    get_secret.query = {{"include_secrets", "true"}};
    auto s = co_await c.async_request(std::move(get_secret), asio::use_awaitable);
    co_return std::tuple{a, b, s};
  });
  REQUIRE(created.status < 300);
  REQUIRE(secret.status == 200);
  // The service's password, as the API hands it out.
  auto svc = boost::json::parse(plain.body).at("service");
  std::string password(svc.at("service_uri_params").at("password").as_string());
  REQUIRE(!password.empty());
  REQUIRE(log.records.size() == 3);
  for (auto& rec : log.records) {
    for (auto& text : {rec.line, rec.request_body, rec.response_body, rec.target}) {
      CHECK(text.find("RECOGNISABLE-TOKEN-8d1f") == std::string::npos);
      CHECK(text.find("MY-ADMIN-PW-123") == std::string::npos);
      CHECK(text.find(password) == std::string::npos);
    }
  }
  CHECK(log.records[0].request_body.find("[REDACTED]") != std::string::npos);
  CHECK(log.records[1].response_body.find("\"service_name\":\"pg1\"") != std::string::npos);
  CHECK(log.records[1].response_body.find("[REDACTED]") != std::string::npos);
  CHECK(log.records[2].target.find("include_secrets=true") != std::string::npos);
  CHECK(log.records[2].response_body.empty());
  CHECK(log.records[2].response_bytes == secret.body.size());
}
