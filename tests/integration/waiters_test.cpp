// Every waiter against a scripted server: the states it walks through, its
// failure states, the settle window, deadline, cancellation and progress.
#include "support/run.hpp"
#include "support/script_server.hpp"

#include <aiven/wait.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

using namespace aiven;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Answers GET `target` with the bodies in order, the last one repeated.
struct sequence {
  std::string target;
  std::vector<test::scripted_response> answers;
  std::atomic<std::size_t> served{0};
  test::scripted_response operator()(const test::scripted_request& r) {
    if (r.method != "GET" || r.target != target) return {404, R"({"message":"no such route"})"};
    const std::size_t i = served++;
    return answers[std::min(i, answers.size() - 1)];
  }
};

struct recorder {
  std::vector<std::string> states;
  std::vector<std::vector<node_progress>> progress;
  std::vector<std::string> whats;
};

wait_options quick(recorder& rec, std::chrono::milliseconds timeout = 5s) {
  wait_options o;
  o.timeout = timeout;
  o.initial_interval = 10ms;
  o.max_interval = 20ms;
  o.on_progress = [&rec](const wait_progress& p) {
    rec.states.emplace_back(p.state);
    rec.progress.emplace_back(p.progress.begin(), p.progress.end());
    rec.whats.emplace_back(p.what);
  };
  return o;
}

template <class F>
auto run(F&& f) {
  asio::io_context io;
  return test::run(io, [&]() { return f(io); });
}

}  // namespace

TEST_SUITE("integration.waiters") {
  TEST_CASE("project VPC: APPROVED until ACTIVE") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/vpcs/v1";
    seq->answers = {{200, R"({"state":"APPROVED","project_vpc_id":"v1"})"},
                    {200, R"({"state":"APPROVED","project_vpc_id":"v1"})"},
                    {200, R"({"state":"ACTIVE","project_vpc_id":"v1","cloud_name":"aws-eu-west-1"})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    auto vpc = run([&](asio::io_context& io) -> asio::awaitable<api::vpc_get_out> {
      client c(io.get_executor(), srv.options());
      co_return co_await async_wait_project_vpc_active(c, "p", "v1", quick(rec));
    });
    CHECK(vpc.cloud_name == "aws-eu-west-1");
    CHECK(rec.states == std::vector<std::string>{"APPROVED", "APPROVED", "ACTIVE"});
    CHECK(rec.whats.front() == "project VPC p/v1");
    CHECK(srv.count("GET", "/v1/project/p/vpcs/v1") == 3);
  }

  TEST_CASE("VPC peering: REJECTED_BY_PEER ends the wait with failed_state and the state_info") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/vpcs/v1";
    const std::string other = R"({"peer_cloud_account":"111","peer_vpc":"vpc-other","state":"ACTIVE"})";
    seq->answers = {
        {200, R"({"state":"ACTIVE","peering_connections":[)" + other + "]}"},  // not listed yet: settles
        {200, R"({"state":"ACTIVE","peering_connections":[)" + other +
                  R"(,{"peer_cloud_account":"123","peer_vpc":"vpc-1","state":"APPROVED"}]})"},
        {200, R"({"state":"ACTIVE","peering_connections":[{"peer_cloud_account":"123","peer_vpc":"vpc-1",)"
              R"("state":"REJECTED_BY_PEER","state_info":{"message":"peer refused the connection","type":"error"}}]})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    diagnostics diag;
    auto [ec, peering] = run([&](asio::io_context& io) -> asio::awaitable<std::tuple<error_code, api::peering_connection_out>> {
      client c(io.get_executor(), srv.options());
      vpc_peering_target target{.project = "p", .project_vpc_id = "v1", .peer_cloud_account = "123", .peer_vpc = "vpc-1"};
      auto opts = quick(rec);
      opts.settle = 5s;
      co_return co_await async_wait_vpc_peering(c, target, opts, diag, asio::as_tuple(asio::use_awaitable));
    });
    CHECK(ec == wait_errc::failed_state);
    CHECK(rec.states == std::vector<std::string>{"", "APPROVED", "REJECTED_BY_PEER"});
    INFO(diag.client_message);
    CHECK(diag.client_message.find("REJECTED_BY_PEER") != std::string::npos);
    CHECK(diag.client_message.find("peer refused the connection") != std::string::npos);
    CHECK(peering.state.str() == "REJECTED_BY_PEER");
    CHECK(peering.state_info.message == "peer refused the connection");
  }

  TEST_CASE("VPC peering: PENDING_PEER is a failure unless pending_peer_is_done; ACTIVE is success") {
    for (bool pending_ok : {false, true}) {
      auto seq = std::make_shared<sequence>();
      seq->target = "/v1/project/p/vpcs/v1";
      seq->answers = {{200, R"({"peering_connections":[{"peer_cloud_account":"123","peer_vpc":"vpc-1","peer_region":"eu",)"
                            R"("state":"PENDING_PEER","state_info":{"message":"accept it in AWS","type":"info"}}]})"}};
      test::script_server srv([seq](const auto& r) { return (*seq)(r); });
      recorder rec;
      diagnostics diag;
      auto [ec, peering] = run([&](asio::io_context& io) -> asio::awaitable<std::tuple<error_code, api::peering_connection_out>> {
        client c(io.get_executor(), srv.options());
        vpc_peering_target target{.project = "p", .project_vpc_id = "v1", .peer_cloud_account = "123",
                                  .peer_vpc = "vpc-1", .peer_region = "eu"};
        auto opts = quick(rec);
        opts.pending_peer_is_done = pending_ok;
        co_return co_await async_wait_vpc_peering(c, target, opts, diag, asio::as_tuple(asio::use_awaitable));
      });
      CHECK(peering.state.str() == "PENDING_PEER");
      if (pending_ok) {
        CHECK(!ec);
      } else {
        CHECK(ec == wait_errc::failed_state);
        CHECK(diag.client_message.find("accept it in AWS") != std::string::npos);
      }
    }
  }

  TEST_CASE("Kafka topic: 404 just after create settles, then CONFIGURING, then ACTIVE") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/k/topic/orders";
    seq->answers = {{404, R"({"message":"Topic not found","errors":[{"error_code":"topic_not_found","message":"x","status":404}]})"},
                    {200, R"({"topic":{"topic_name":"orders","state":"CONFIGURING"}})"},
                    {200, R"({"topic":{"topic_name":"orders","state":"ACTIVE","partitions":[{"partition":0}]}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    auto topic = run([&](asio::io_context& io) -> asio::awaitable<api::service_kafka_topic_get_out> {
      client c(io.get_executor(), srv.options());
      auto opts = quick(rec);
      opts.settle = 5s;
      co_return co_await async_wait_kafka_topic_active(c, "p", "k", "orders", opts);
    });
    CHECK(topic.state.str() == "ACTIVE");
    CHECK(topic.partitions.size() == 1);
    CHECK(rec.states == std::vector<std::string>{"", "CONFIGURING", "ACTIVE"});
  }

  TEST_CASE("Kafka topic: without a settle window a 404 ends the wait at once") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/k/topic/orders";
    seq->answers = {{404, R"({"message":"Topic not found"})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    try {
      run([&](asio::io_context& io) -> asio::awaitable<void> {
        client c(io.get_executor(), srv.options());
        co_await async_wait_kafka_topic_active(c, "p", "k", "orders", quick(rec));
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == errc::not_found);
      CHECK(e.get_diagnostics().http_status == 404);
    }
    CHECK(seq->served == 1);
  }

  TEST_CASE("Kafka Connect connector: a FAILED task ends the wait with its trace") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/k/connectors/sink/status";
    seq->answers = {{200, R"({"status":{"state":"UNASSIGNED","tasks":[]}})"},
                    {200, R"({"status":{"state":"RUNNING","tasks":[{"id":0,"state":"FAILED","trace":"java.lang.NullPointerException\n\tat x"}]}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    try {
      run([&](asio::io_context& io) -> asio::awaitable<void> {
        client c(io.get_executor(), srv.options());
        co_await async_wait_connector_running(c, "p", "k", "sink", quick(rec));
      });
      FAIL("no error");
    } catch (const api_error& e) {
      CHECK(e.code() == wait_errc::failed_state);
      INFO(e.get_diagnostics().client_message);
      CHECK(e.get_diagnostics().client_message.find("task 0: java.lang.NullPointerException") != std::string::npos);
    }
    CHECK(rec.states.front() == "UNASSIGNED");
  }

  TEST_CASE("Kafka Connect connector: RUNNING with every task RUNNING") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/k/connectors/sink/status";
    seq->answers = {{200, R"({"status":{"state":"RUNNING","tasks":[{"id":0,"state":"UNASSIGNED"}]}})"},
                    {200, R"({"status":{"state":"RUNNING","tasks":[{"id":0,"state":"RUNNING"},{"id":1,"state":"RUNNING"}]}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    auto st = run([&](asio::io_context& io) -> asio::awaitable<api::service_kafka_connect_get_connector_status_out> {
      client c(io.get_executor(), srv.options());
      co_return co_await async_wait_connector_running(c, "p", "k", "sink", quick(rec));
    });
    CHECK(st.tasks.size() == 2);
    CHECK(rec.states.size() == 2);
  }

  TEST_CASE("service integration: until active; first backup: until one exists") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/integration/i-1";
    seq->answers = {{200, R"({"service_integration":{"active":false,"enabled":true}})"},
                    {200, R"({"service_integration":{"active":true,"enabled":true,"service_integration_id":"i-1"}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    auto integ = run([&](asio::io_context& io) -> asio::awaitable<api::service_integration_get_out> {
      client c(io.get_executor(), srv.options());
      co_return co_await async_wait_integration_active(c, "p", "i-1", quick(rec));
    });
    CHECK(integ.service_integration_id == "i-1");
    CHECK(rec.states == std::vector<std::string>{"enabled, not active", "active"});

    auto backups = std::make_shared<sequence>();
    backups->target = "/v1/project/p/service/pg/backups";
    backups->answers = {{200, R"({"backups":[]})"},
                        {200, R"({"backups":[{"backup_name":"b1","backup_time":"2026-01-01T00:00:00Z","data_size":10}]})"}};
    test::script_server srv2([backups](const auto& r) { return (*backups)(r); });
    recorder rec2;
    auto b = run([&](asio::io_context& io) -> asio::awaitable<api::service_backups_get_out> {
      client c(io.get_executor(), srv2.options());
      co_return co_await async_wait_first_backup(c, "p", "pg", quick(rec2));
    });
    REQUIRE(b.backups.size() == 1);
    CHECK(b.backups[0].backup_name == "b1");
    CHECK(rec2.states == std::vector<std::string>{"0 backups", "1 backups"});
  }

  TEST_CASE("fork or restore: RUNNING is not enough while a node's progress_updates phase is open") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/fork";
    auto node = [](bool done, int current) {
      return R"({"service":{"state":"RUNNING","node_states":[{"name":"fork-1","state":"running","progress_updates":[)"
             R"({"phase":"basebackup","completed":)" +
             std::string(done ? "true" : "false") + R"(,"current":)" + std::to_string(current) +
             R"(,"max":100,"min":0,"unit":"bytes_uncompressed"}]}]}})";
    };
    seq->answers = {{200, R"({"service":{"state":"REBUILDING"}})"}, {200, node(false, 40)}, {200, node(true, 100)}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    recorder rec;
    auto s = run([&](asio::io_context& io) -> asio::awaitable<api::service_get_out> {
      client c(io.get_executor(), srv.options());
      co_return co_await async_wait_service_restored(c, "p", "fork", quick(rec));
    });
    CHECK(s.state.str() == "RUNNING");
    REQUIRE(rec.progress.size() == 3);
    CHECK(rec.progress[0].empty());
    REQUIRE(rec.progress[1].size() == 1);
    CHECK(rec.progress[1][0].node == "fork-1");
    CHECK(rec.progress[1][0].phase == "basebackup");
    CHECK(!rec.progress[1][0].completed);
    CHECK(rec.progress[1][0].current == 40);
    CHECK(rec.progress[1][0].unit == "bytes_uncompressed");
    CHECK(rec.progress[2][0].completed);
  }

  TEST_CASE("service running: REBALANCING counts only when asked") {
    for (bool rebalancing_ok : {true, false}) {
      auto seq = std::make_shared<sequence>();
      seq->target = "/v1/project/p/service/kafka1";
      seq->answers = {{200, R"({"service":{"state":"REBUILDING"}})"},
                      {200, R"({"service":{"state":"REBALANCING"}})"},
                      {200, R"({"service":{"state":"REBALANCING"}})"},
                      {200, R"({"service":{"state":"RUNNING"}})"}};
      test::script_server srv([seq](const auto& r) { return (*seq)(r); });
      recorder rec;
      run([&](asio::io_context& io) -> asio::awaitable<void> {
        client c(io.get_executor(), srv.options());
        auto opts = quick(rec);
        opts.rebalancing_is_running = rebalancing_ok;
        co_await async_wait_service_running(c, "p", "kafka1", opts);
      });
      CHECK(rec.states.back() == (rebalancing_ok ? "REBALANCING" : "RUNNING"));
      CHECK(rec.states.size() == (rebalancing_ok ? 2u : 4u));
    }
  }

  TEST_CASE("the deadline is errc::timeout with diagnostics, with use_future too") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/slow";
    seq->answers = {{200, R"({"service":{"state":"REBUILDING"}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    asio::io_context io;
    client c(io.get_executor(), srv.options());
    recorder rec;
    diagnostics diag;
    auto fut = async_wait_service_running(c, "p", "slow", quick(rec, 300ms), diag, asio::use_future);
    io.run();
    try {
      fut.get();
      FAIL("no error");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == errc::timeout);
    }
    INFO(diag.client_message);
    CHECK(diag.client_message.find("service p/slow not RUNNING after") != std::string::npos);
    CHECK(diag.client_message.find("last state seen: REBUILDING") != std::string::npos);
    CHECK(diag.http_status == 200);  // the last poll's answer
    CHECK(rec.states.size() >= 3);
  }

  TEST_CASE("a deadline that cuts a poll short gives the last answered poll's diagnostics") {
    // The first poll answers REBUILDING; the second is held past the deadline.
    std::atomic<int> n{0};
    test::scripted_server srv([&n](const test::seen_request&) -> test::script {
      if (n++ == 0)
        return {test::send(test::response(200, R"({"service":{"state":"REBUILDING"}})",
                                          {{"Content-Type", "application/json"}, {"X-Request-Id", "req-1"}}))};
      return {test::pause(3s)};
    });
    client_options o;
    o.base_url = srv.base_url();
    o.allow_insecure_http = true;
    o.token = "t";
    asio::io_context io;
    client c(io.get_executor(), o);
    recorder rec;
    diagnostics diag;
    const auto t0 = std::chrono::steady_clock::now();
    auto fut = async_wait_service_running(c, "p", "slow", quick(rec, 300ms), diag, asio::use_future);
    io.run();
    CHECK_THROWS_AS(fut.get(), boost::system::system_error);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    INFO(diag.client_message);
    CHECK(diag.client_message.find("last state seen: REBUILDING") != std::string::npos);
    CHECK(diag.http_status == 200);
    CHECK(diag.request_id == "req-1");
    CHECK(rec.states == std::vector<std::string>{"REBUILDING"});
  }

  TEST_CASE("cancellation through the slot ends the wait at once with operation_aborted") {
    auto seq = std::make_shared<sequence>();
    seq->target = "/v1/project/p/service/slow";
    seq->answers = {{200, R"({"service":{"state":"REBUILDING"}})"}};
    test::script_server srv([seq](const auto& r) { return (*seq)(r); });
    asio::io_context io;
    client c(io.get_executor(), srv.options());
    wait_options opts;
    opts.initial_interval = 10s;  // it would pause this long
    opts.max_interval = 10s;
    asio::cancellation_signal sig;
    error_code got;
    bool called = false;
    async_wait_service_running(c, "p", "slow", opts,
                               asio::bind_cancellation_slot(sig.slot(), [&](error_code ec, api::service_get_out) {
                                 called = true;
                                 got = ec;
                               }));
    asio::steady_timer t(io, 100ms);
    t.async_wait([&](error_code) { sig.emit(asio::cancellation_type::terminal); });
    const auto t0 = std::chrono::steady_clock::now();
    io.run();
    CHECK(called);
    CHECK(got == asio::error::operation_aborted);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(seq->served == 1);
  }

  TEST_CASE("invalid options are refused before any poll") {
    test::script_server srv([](const auto&) { return test::scripted_response{}; });
    asio::io_context io;
    client c(io.get_executor(), srv.options());
    wait_options opts;
    opts.multiplier = 0.5;
    diagnostics diag;
    error_code got;
    async_wait_service_deleted(c, "p", "s", opts, diag, [&](error_code ec) { got = ec; });
    io.run();
    CHECK(got == errc::invalid_argument);
    CHECK(diag.client_message.find("invalid wait_options") != std::string::npos);
    CHECK(srv.requests().empty());
  }
}
