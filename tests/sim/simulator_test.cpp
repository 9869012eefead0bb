// Tests of aiven::sim::simulator through real TLS connections made by a small
// Beast client, independent of the library's own HTTP stack.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "sim_client.hpp"


TEST_CASE("TLS with the generated CA; GET /v1/clouds needs no token") {
  simulator sim(quick_options());
  CHECK(sim.port() != 0);
  CHECK(sim.base_url() == "https://127.0.0.1:" + std::to_string(sim.port()));
  CHECK(sim.ca_pem().find("-----BEGIN CERTIFICATE-----") == 0);
  CHECK(sim.token() == "sim-token");

  test_client c(sim);
  REQUIRE_FALSE(c.connect());
  reply r = c.get("/v1/clouds", false);
  REQUIRE_FALSE(r.ec);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body.size() > 10000);
  auto clouds = r.json().at("clouds").as_array();
  CHECK(clouds.size() >= 100);
  bool found = false;
  for (const auto& cl : clouds) {
    const auto& o = cl.as_object();
    CHECK(o.at("cloud_name").is_string());
    CHECK(o.at("geo_region").is_string());
    CHECK(o.at("geo_latitude").is_double());
    if (o.at("cloud_name") == "aws-eu-west-1") {
      found = true;
      CHECK(str(o.at("cloud_description")) == "Europe, Ireland - Amazon Web Services: Ireland");
      CHECK(str(o.at("provider")) == "aws");
      CHECK(str(o.at("provider_description")) == "Amazon Web Services");
    }
  }
  CHECK(found);

  SUBCASE("the certificate also names localhost") {
    test_client l(sim);
    CHECK_FALSE(l.connect("localhost"));
  }
  SUBCASE("a client that does not trust the CA fails the handshake") {
    test_client untrusting(sim, false);
    CHECK(untrusting.connect());
  }
  SUBCASE("TLS 1.1 is refused") {
    test_client old(sim);
    SSL_CTX_set_min_proto_version(old.context().native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(old.context().native_handle(), TLS1_1_VERSION);
    CHECK(old.connect());
  }
}

TEST_CASE("a missing or unknown token gets 401 with Aiven's body") {
  simulator sim(quick_options());
  test_client c(sim);
  reply r = c.get("/v1/project", false);
  CHECK(r.status == 401);
  CHECK(r.body == R"({"message":"Invalid token","errors":[{"message":"Invalid token","status":401}]})");
  r = c.request(http::verb::get, "/v1/project", "", true, false, "wrong-token");
  CHECK(r.status == 401);

  auto recs = sim.requests();
  REQUIRE(recs.size() == 2);
  CHECK_FALSE(recs[0].had_token);
  CHECK(recs[1].had_token);
  CHECK_FALSE(recs[1].authorized);
  CHECK_FALSE(recs[1].executed);
  CHECK(sim.executed("") == 0);

  SUBCASE("any configured token is accepted") {
    simulator_options o = quick_options();
    o.tokens = {"first", "second"};
    simulator multi(o);
    test_client m(multi);
    CHECK(m.request(http::verb::get, "/v1/project", "", true, false, "second").status == 200);
    CHECK(m.request(http::verb::get, "/v1/project", "", true, false, "sim-token").status == 401);
  }
}

TEST_CASE("projects: list, create, get, delete") {
  simulator sim(quick_options());
  test_client c(sim);

  reply r = c.get("/v1/project");
  REQUIRE(r.status == 200);
  auto list = r.json().as_object();
  REQUIRE(list.at("projects").as_array().size() == 1);
  const auto& demo = list.at("projects").as_array()[0].as_object();
  CHECK(str(demo.at("project_name")) == "demo");
  for (const char* required : {"account_id", "billing_address", "billing_emails", "billing_group_id",
                               "billing_group_name", "country", "country_code", "default_cloud",
                               "estimated_balance", "organization_id", "payment_method", "vat_id"})
    CHECK_MESSAGE(demo.contains(required), required);
  CHECK(str(list.at("project_membership").at("demo")) == "admin");
  CHECK(list.at("project_memberships").at("demo").as_array().size() == 1);

  r = c.request(http::verb::post, "/v1/project", R"({"project":"p2","cloud":"aws-eu-west-1"})");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("project").at("project_name")) == "p2");
  CHECK(str(r.json().at("project").at("default_cloud")) == "aws-eu-west-1");
  CHECK(c.request(http::verb::post, "/v1/project", R"({"project":"p2"})").status == 409);
  CHECK(c.request(http::verb::post, "/v1/project", R"({"name":"p3"})").status == 400);
  CHECK(c.request(http::verb::post, "/v1/project", R"({"project":7})").status == 400);
  CHECK(c.request(http::verb::post, "/v1/project", "{oops").status == 400);

  r = c.get("/v1/project");
  CHECK(r.json().at("projects").as_array().size() == 2);
  r = c.get("/v1/project/p2");
  CHECK(r.status == 200);
  CHECK(str(r.json().at("project").at("project_name")) == "p2");

  r = c.get("/v1/project/nope");
  CHECK(r.status == 404);
  CHECK(str(r.json().at("message")) == "Project does not exist");
  CHECK(r.json().at("errors").as_array()[0].at("status").as_int64() == 404);

  r = c.request(http::verb::delete_, "/v1/project/p2");
  CHECK(r.status == 200);
  CHECK(str(r.json().at("message")) == "deleted");
  CHECK(c.get("/v1/project/p2").status == 404);

  sim.add_project("seeded");
  CHECK(c.get("/v1/project/seeded").status == 200);
}

TEST_CASE("services: create, REBUILDING then RUNNING, update, delete") {
  simulator sim(quick_options());
  test_client c(sim);

  reply r = c.request(http::verb::post, "/v1/project/demo/service", pg_service);
  REQUIRE(r.status == 200);
  auto s = r.json().at("service").as_object();
  CHECK(str(s.at("state")) == "REBUILDING");
  CHECK(str(s.at("service_name")) == "db1");
  CHECK(str(s.at("service_type")) == "pg");
  CHECK(str(s.at("plan")) == "startup-4");
  CHECK(str(s.at("cloud_name")) == "aws-eu-west-1");
  CHECK(str(s.at("tags").at("team")) == "core");
  CHECK(str(s.at("user_config").at("pg_version")) == "16");
  CHECK(str(s.at("service_uri")).starts_with("postgres://avnadmin:"));
  CHECK_FALSE(s.at("components").as_array().empty());
  for (const char* required : {"cloud_name", "create_time", "group_list", "plan", "project_vpc_id",
                               "service_integrations", "service_name", "service_type", "service_uri", "state",
                               "termination_protection", "update_time", "user_config"})
    CHECK_MESSAGE(s.contains(required), required);

  CHECK(str(c.get("/v1/project/demo/service/db1").json().at("service").at("state")) == "REBUILDING");
  std::this_thread::sleep_for(150ms);
  r = c.get("/v1/project/demo/service/db1");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("service").at("state")) == "RUNNING");
  CHECK(r.body.size() > 3000);

  r = c.get("/v1/project/demo/service");
  REQUIRE(r.status == 200);
  auto services = r.json().at("services").as_array();
  REQUIRE(services.size() == 1);
  CHECK(str(services[0].at("state")) == "RUNNING");

  SUBCASE("errors") {
    r = c.request(http::verb::post, "/v1/project/demo/service", pg_service);
    CHECK(r.status == 409);
    CHECK(str(r.json().at("message")) == "Service name is already in use in this project");
    CHECK(c.request(http::verb::post, "/v1/project/demo/service", R"({"plan":"x","service_name":"a"})").status == 400);
    CHECK(c.request(http::verb::post, "/v1/project/demo/service",
                    R"({"plan":"x","service_name":1,"service_type":"pg"})").status == 400);
    CHECK(c.request(http::verb::post, "/v1/project/demo/service", "not json").status == 400);
    CHECK(c.request(http::verb::post, "/v1/project/nope/service", pg_service).status == 404);
    r = c.get("/v1/project/demo/service/missing");
    CHECK(r.status == 404);
    CHECK(str(r.json().at("message")) == "Service does not exist");
    CHECK(c.get("/v1/project/nope/service").status == 404);
    CHECK(c.request(http::verb::delete_, "/v1/project/demo").status == 409);
  }

  SUBCASE("update and delete") {
    r = c.request(http::verb::put, "/v1/project/demo/service/db1",
                  R"({"plan":"business-4","user_config":{"pg_version":null,"work_mem":64}})");
    REQUIRE(r.status == 200);
    auto u = r.json().at("service").as_object();
    CHECK(str(u.at("plan")) == "business-4");
    CHECK(str(u.at("state")) == "REBUILDING");  // a new plan rebuilds the nodes
    CHECK(u.at("node_states").as_array().size() == 2);
    CHECK(u.at("user_config").at("work_mem").as_int64() == 64);

    r = c.request(http::verb::put, "/v1/project/demo/service/db1", R"({"powered":false})");
    CHECK(str(r.json().at("service").at("state")) == "POWEROFF");
    CHECK(c.request(http::verb::put, "/v1/project/demo/service/db1", R"({"powered":"no"})").status == 400);

    r = c.request(http::verb::put, "/v1/project/demo/service/db1", R"({"termination_protection":true})");
    CHECK(r.json().at("service").at("termination_protection").as_bool());
    CHECK(c.request(http::verb::delete_, "/v1/project/demo/service/db1").status == 403);
    c.request(http::verb::put, "/v1/project/demo/service/db1", R"({"termination_protection":false})");

    r = c.request(http::verb::delete_, "/v1/project/demo/service/db1");
    CHECK(r.status == 200);
    CHECK(r.body == R"({"message":"Service deleted"})");
    CHECK(c.get("/v1/project/demo/service/db1").status == 404);
    CHECK(c.request(http::verb::delete_, "/v1/project/demo/service/db1").status == 404);
    CHECK(c.request(http::verb::put, "/v1/project/demo/service/db1", "{}").status == 404);
    CHECK(c.request(http::verb::delete_, "/v1/project/demo").status == 200);
  }

  SUBCASE("the ready delay can change at run time") {
    sim.set_service_ready_delay(1h);
    CHECK(str(c.get("/v1/project/demo/service/db1").json().at("service").at("state")) == "REBUILDING");
    sim.set_service_ready_delay(0ms);
    CHECK(str(c.get("/v1/project/demo/service/db1").json().at("service").at("state")) == "RUNNING");
  }
}

TEST_CASE("routing: 404, 405, query strings and percent-encoded segments") {
  simulator sim(quick_options());
  test_client c(sim);

  reply r = c.get("/v1/nothing");
  CHECK(r.status == 404);
  CHECK(r.body ==
        R"({"message":"The route GET /v1/nothing does not exist in the API","errors":[{"message":"The route GET /v1/nothing does not exist in the API","status":404}]})");
  CHECK(c.get("/v1/project/demo/nothing").status == 404);
  CHECK(c.get("/v1/project/demo/service/a/b/c").status == 404);
  CHECK(c.get("/v1/project/").status == 404);
  CHECK(c.request(http::verb::delete_, "/v1/clouds").status == 405);
  CHECK(c.request(http::verb::patch, "/v1/project/demo", "{}").status == 405);
  CHECK(c.get("/v1/project/demo/service?limit=10&offset=0").status == 200);
  CHECK(c.get("/v1/clouds?foo=bar", false).status == 200);
  CHECK(c.get("/v1/project/%zz").status == 400);
  // HEAD: no body follows the headers, so the connection stays usable.
  CHECK(c.request(http::verb::head, "/v1/clouds").status == 405);
  CHECK(c.get("/v1/clouds", false).status == 200);
  CHECK(sim.connections_accepted() == 1);

  sim.add_project("a/b");
  sim.clear_requests();
  r = c.get("/v1/project/a%2Fb");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("project").at("project_name")) == "a/b");
  r = c.request(http::verb::post, "/v1/project/a%2Fb/service",
                R"({"plan":"hobbyist","service_name":"x y","service_type":"valkey"})");
  CHECK(r.status == 200);
  CHECK(c.get("/v1/project/a%2Fb/service/x%20y").status == 200);

  auto recs = sim.requests();
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].target == "/v1/project/a%2Fb");
  CHECK(recs[2].target == "/v1/project/a%2Fb/service/x%20y");
  CHECK(sim.executed("GET", "/v1/project/a%2Fb") == 2);
}

TEST_CASE("recorded requests and executed()") {
  simulator sim(quick_options());
  test_client c(sim);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service", pg_service).status == 200);
  c.get("/v1/project/demo/service/db1");
  c.get("/v1/clouds", false);

  auto recs = sim.requests();
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].method == "POST");
  CHECK(recs[0].target == "/v1/project/demo/service");
  CHECK(recs[0].body == pg_service);
  CHECK(recs[0].had_token);
  CHECK(recs[0].authorized);
  CHECK(recs[0].status == 200);
  CHECK(recs[0].executed);
  CHECK_FALSE(recs[0].faulted);
  CHECK(recs[0].connection_id != 0);
  CHECK(recs[1].connection_id == recs[0].connection_id);
  CHECK_FALSE(recs[2].had_token);
  CHECK(recs[2].status == 200);

  CHECK(sim.executed("POST", "/v1/project/demo/service") == 1);
  CHECK(sim.executed("GET", "/v1/project/demo/service") == 1);
  CHECK(sim.executed("GET") == 2);
  CHECK(sim.executed("") == 3);
  CHECK(sim.executed("DELETE") == 0);
  CHECK(sim.requests_received() == 3);

  sim.clear_requests();
  CHECK(sim.requests().empty());
  CHECK(sim.executed("") == 3);  // counters are independent of the record
  sim.reset_counters();
  CHECK(sim.executed("") == 0);

  SUBCASE("record_limit keeps the newest") {
    simulator_options o = quick_options();
    o.record_limit = 3;
    simulator small(o);
    test_client s(small);
    for (int i = 0; i < 5; ++i) s.get("/v1/clouds?i=" + std::to_string(i), false);
    auto kept = small.requests();
    REQUIRE(kept.size() == 3);
    CHECK(kept.front().target == "/v1/clouds?i=2");
    CHECK(kept.back().target == "/v1/clouds?i=4");
    CHECK(small.executed("GET") == 5);
  }
}

TEST_CASE("keep-alive and connection counters") {
  simulator sim(quick_options());
  test_client c(sim);
  for (int i = 0; i < 5; ++i) REQUIRE(c.get("/v1/project").status == 200);
  CHECK(sim.connections_accepted() == 1);
  CHECK(sim.tls_handshakes() == 1);
  CHECK(sim.open_connections() == 1);

  test_client c2(sim);
  REQUIRE(c2.get("/v1/project").status == 200);
  CHECK(sim.connections_accepted() == 2);
  CHECK(sim.open_connections() == 2);
  CHECK(sim.max_open_connections() == 2);

  SUBCASE("close_idle_connections() closes them from the server side") {
    sim.close_idle_connections();
    CHECK(sim.open_connections() == 0);
    reply r = c.get("/v1/project");  // on the now stale connection
    CHECK(r.ec);
    CHECK(c.get("/v1/project").status == 200);  // reconnects
    CHECK(sim.connections_accepted() == 3);
    CHECK(sim.max_open_connections() == 2);
    sim.reset_counters();
    CHECK(sim.connections_accepted() == 0);
    CHECK(sim.max_open_connections() == sim.open_connections());
  }

  SUBCASE("Connection: close is honoured") {
    reply r = c.request(http::verb::get, "/v1/project", "", true, true);
    CHECK(r.status == 200);
    CHECK_FALSE(r.keep_alive);
    CHECK(r.header("connection") == "close");
    CHECK(eventually([&] { return sim.open_connections() == 1; }));
  }

  SUBCASE("a TCP connection without a handshake is counted as accepted only") {
    sim.reset_counters();
    asio::io_context ioc;
    tcp::socket raw(ioc);
    raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), sim.port()));
    CHECK(eventually([&] { return sim.connections_accepted() == 1; }));
    CHECK(sim.tls_handshakes() == 0);
    raw.close();
    CHECK(eventually([&] { return sim.open_connections() == 2; }));
  }
}

TEST_CASE("idle keep-alive connections time out") {
  simulator_options o = quick_options();
  o.idle_timeout = 200ms;
  simulator sim(o);
  test_client c(sim);
  REQUIRE(c.get("/v1/project").status == 200);
  CHECK(sim.open_connections() == 1);
  CHECK(eventually([&] { return sim.open_connections() == 0; }));
  CHECK(c.get("/v1/project").ec);
}

TEST_CASE("injected faults") {
  simulator sim(quick_options());
  test_client c(sim);
  REQUIRE(c.get("/v1/project").status == 200);
  sim.reset_counters();

  SUBCASE("status, with a generated error body and extra headers") {
    fault f;
    f.kind = fault_kind::status;
    f.status = 503;
    f.method = "GET";
    f.path_prefix = "/v1/project";
    f.headers = {{"X-Sim", "yes"}};
    sim.inject(f);
    CHECK(sim.pending_faults() == 1);
    CHECK(c.get("/v1/clouds", false).status == 200);  // not matching
    reply r = c.get("/v1/project");
    CHECK(r.status == 503);
    CHECK(str(r.json().at("message")) == "Service Unavailable");
    CHECK(r.json().at("errors").as_array()[0].at("status").as_int64() == 503);
    CHECK(r.header("x-sim") == "yes");
    CHECK(sim.pending_faults() == 0);
    CHECK(sim.executed("GET", "/v1/project") == 0);
    CHECK(sim.faults_injected() == 1);
    CHECK(c.get("/v1/project").status == 200);  // used up
    auto recs = sim.requests();
    CHECK(recs[recs.size() - 2].faulted);
    CHECK(recs[recs.size() - 2].fault == fault_kind::status);
    CHECK(recs[recs.size() - 2].status == 503);
    CHECK_FALSE(recs[recs.size() - 2].executed);
  }

  SUBCASE("status with a given body, until cleared") {
    fault f;
    f.status = 502;
    f.body = "<html>bad gateway</html>";
    f.count = -1;
    sim.inject(f);
    for (int i = 0; i < 3; ++i) {
      reply r = c.get("/v1/project");
      CHECK(r.status == 502);
      CHECK(r.body == "<html>bad gateway</html>");
    }
    sim.clear_faults();
    CHECK(c.get("/v1/project").status == 200);
  }

  SUBCASE("rate_limit, with and without Retry-After") {
    fault f;
    f.kind = fault_kind::rate_limit;
    f.retry_after_s = 3;
    sim.inject(f);
    f.with_retry_after_header = false;
    sim.inject(f);
    reply r = c.get("/v1/project");
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "3");
    CHECK(str(r.json().at("message")) ==
          "The user has sent too many requests in a given amount of time: Rate limit 120 exceeded - try again in 3s");
    CHECK(r.json().at("errors").as_array()[0].at("status").as_int64() == 429);
    r = c.get("/v1/project");
    CHECK(r.status == 429);
    CHECK_FALSE(r.has_header("retry-after"));
    CHECK(sim.executed("") == 0);
  }

  SUBCASE("reset_before_headers: no answer, not executed") {
    fault f;
    f.kind = fault_kind::reset_before_headers;
    f.method = "POST";
    sim.inject(f);
    reply r = c.request(http::verb::post, "/v1/project/demo/service", pg_service);
    CHECK(r.ec);
    CHECK(r.status == 0);
    CHECK(sim.executed("POST") == 0);
    CHECK(c.get("/v1/project/demo/service/db1").status == 404);
    auto recs = sim.requests();
    CHECK(recs[recs.size() - 2].status == 0);
    CHECK(recs[recs.size() - 2].fault == fault_kind::reset_before_headers);
  }

  SUBCASE("reset_mid_body: executed, the client gets headers and part of the body") {
    fault f;
    f.kind = fault_kind::reset_mid_body;
    sim.inject(f);
    reply r = c.request(http::verb::post, "/v1/project/demo/service", pg_service);
    CHECK(r.ec);
    CHECK(r.status == 200);
    CHECK(sim.executed("POST", "/v1/project/demo/service") == 1);
    CHECK(c.get("/v1/project/demo/service/db1").status == 200);
  }

  SUBCASE("truncated_body: executed, the body is shorter than announced") {
    fault f;
    f.kind = fault_kind::truncated_body;
    sim.inject(f);
    reply r = c.get("/v1/clouds", false);
    CHECK(r.ec);
    CHECK(r.status == 200);
    CHECK(sim.executed("GET", "/v1/clouds") == 1);
  }

  SUBCASE("slow_headers: answered after the delay") {
    fault f;
    f.kind = fault_kind::slow_headers;
    f.delay = 300ms;
    sim.inject(f);
    auto start = std::chrono::steady_clock::now();
    reply r = c.get("/v1/project");
    CHECK(std::chrono::steady_clock::now() - start >= 300ms);
    CHECK(r.status == 200);
    CHECK(sim.executed("GET") == 1);
  }

  SUBCASE("malformed_json: 200 with a body that does not parse") {
    fault f;
    f.kind = fault_kind::malformed_json;
    sim.inject(f);
    reply r = c.get("/v1/project");
    CHECK_FALSE(r.ec);
    CHECK(r.status == 200);
    boost::system::error_code ec;
    (void)json::parse(r.body, ec);
    CHECK(ec);
    CHECK(sim.executed("GET") == 1);
  }

  SUBCASE("close_after_response: a normal answer, then a stale connection") {
    fault f;
    f.kind = fault_kind::close_after_response;
    sim.inject(f);
    reply r = c.get("/v1/project");
    CHECK_FALSE(r.ec);
    CHECK(r.status == 200);
    CHECK(r.keep_alive);
    CHECK_FALSE(r.has_header("connection"));
    CHECK(eventually([&] { return sim.open_connections() == 0; }));
    CHECK(c.get("/v1/project").ec);
    CHECK(sim.executed("GET") == 1);
  }

  SUBCASE("faults apply in FIFO order to matching requests") {
    fault a;
    a.status = 500;
    a.method = "DELETE";
    fault b;
    b.status = 501;
    b.path_prefix = "/v1/project/demo";
    fault d;
    d.status = 502;
    sim.inject(a);
    sim.inject(b);
    sim.inject(d);
    CHECK(c.get("/v1/project").status == 502);       // only d matches
    CHECK(c.get("/v1/project/demo").status == 501);  // b, the first that matches
    CHECK(c.request(http::verb::delete_, "/v1/project/x").status == 500);
    CHECK(sim.pending_faults() == 0);
  }
}

TEST_CASE("random faults are deterministic for a seed") {
  auto run = [](std::uint64_t seed) {
    simulator_options o = quick_options();
    o.random_fault_rate = 0.5;
    o.random_seed = seed;
    simulator sim(o);
    test_client c(sim);
    std::vector<unsigned> statuses;
    for (int i = 0; i < 40; ++i) statuses.push_back(c.get("/v1/project").status);
    auto recs = sim.requests();
    REQUIRE(recs.size() == 40);
    CHECK(sim.faults_injected() > 0);
    CHECK(sim.faults_injected() < 40);
    std::size_t faulted = 0;
    for (const auto& r : recs) faulted += r.faulted;
    CHECK(faulted == sim.faults_injected());
    return statuses;
  };
  auto a = run(42);
  CHECK(a == run(42));
  CHECK(a != run(7));
}

TEST_CASE("concurrent clients") {
  simulator_options o = quick_options();
  o.threads = 4;
  simulator sim(o);
  constexpr int clients = 8, per_client = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      test_client c(sim);
      std::string name = "svc" + std::to_string(t);
      if (c.request(http::verb::post, "/v1/project/demo/service",
                    R"({"plan":"startup-4","service_name":")" + name + R"(","service_type":"kafka"})")
              .status == 200)
        ++ok;
      for (int i = 1; i < per_client; ++i) {
        const char* target = i % 2 == 0 ? "/v1/project" : nullptr;
        reply r = target != nullptr ? c.get(target) : c.get("/v1/project/demo/service/" + name);
        if (r.status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(ok == clients * per_client);
  CHECK(sim.connections_accepted() == clients);
  CHECK(sim.requests_received() == clients * per_client);
  CHECK(sim.max_open_connections() <= clients);
  test_client c(sim);
  CHECK(c.get("/v1/project/demo/service").json().at("services").as_array().size() == clients);
  MESSAGE("concurrent clients: ", clients * per_client, " requests in ",
          std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), " ms");
}

TEST_CASE("stop() does not hang with clients connected, even mid-request") {
  auto sim = std::make_unique<simulator>(quick_options());
  test_client idle(*sim);
  REQUIRE(idle.get("/v1/project").status == 200);

  fault f;
  f.kind = fault_kind::slow_headers;
  f.delay = 30s;
  sim->inject(f);
  reply slow_reply;
  std::thread slow([&] {
    test_client c(*sim);
    slow_reply = c.get("/v1/project");
  });
  REQUIRE(eventually([&] { return sim->requests_received() == 2; }));

  asio::io_context ioc;
  tcp::socket raw(ioc);  // connected, never handshakes
  raw.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), sim->port()));

  auto start = std::chrono::steady_clock::now();
  sim->stop();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  slow.join();
  CHECK(slow_reply.ec);
  CHECK(sim->open_connections() == 0);
  sim->stop();  // idempotent
  sim.reset();
}

TEST_CASE("write_ca_file and a server certificate from files") {
  simulator sim(quick_options());
  std::string path = sim.write_ca_file();
  {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == sim.ca_pem());
  }
  std::filesystem::remove(path);

  auto dir = std::filesystem::temp_directory_path();
  path = sim.write_ca_file(dir.string());
  CHECK(std::filesystem::path(path).parent_path() == dir);
  std::filesystem::remove(path);

  simulator_options o;
  o.cert_file = "/nonexistent/cert.pem";
  o.key_file = "/nonexistent/key.pem";
  CHECK_THROWS(simulator(o));
}
