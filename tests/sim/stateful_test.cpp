// The simulator as a product: every operation of the document routed, the stateful
// families round-tripped with Aiven's errors and lifecycles, and behaviour on demand.
#include "sim_client.hpp"

#include "sim/rate_limit.hpp"
#include "sim/router.hpp"

namespace {

simulator_options slow_lifecycles() {
  simulator_options o;
  o.service_ready_delay = std::chrono::hours(1);  // the test moves time on with set_service_ready_delay(0)
  return o;
}

std::string code_of(const reply& r) {
  const json::value v = r.json();
  const auto& e = v.at("errors").as_array().at(0).as_object();
  return e.contains("error_code") ? std::string(e.at("error_code").as_string()) : std::string();
}

// A concrete path for a template: every {parameter} becomes "sample".
std::string concrete(std::string_view templ) {
  std::string out;
  bool in = false;
  for (char ch : templ) {
    if (ch == '{') {
      in = true;
      out += "sample";
    } else if (ch == '}') {
      in = false;
    } else if (!in) {
      out += ch;
    }
  }
  return out;
}

http::verb verb_of(std::string_view m) { return http::string_to_verb(m); }

}  // namespace

TEST_CASE("every operation of the document is routed; an unknown one says so") {
  simulator sim(quick_options());
  test_client c(sim);
  std::size_t routed = 0, not_modelled = 0;
  for (const auto& route : aiven::sim::detail::generated_routes()) {
    reply r = c.request(verb_of(route.method), concrete(route.path), route.body_schema >= 0 ? "{}" : "");
    INFO(route.method << " " << route.path);
    REQUIRE(!r.ec);
    CHECK(r.status != 405);
    if (r.status == 404) CHECK(r.body.find("does not exist in the API") == std::string::npos);
    ++routed;
    if (r.header("x-aiven-sim") == "not-modelled") {
      ++not_modelled;
      CHECK(r.status == route.status);
    }
  }
  CHECK(routed == 489);
  CHECK(not_modelled > 300);

  // Not modelled: the document's sample, valid JSON, marked.
  reply r = c.get("/v1/account");
  CHECK(r.status == 200);
  CHECK(r.header("x-aiven-sim") == "not-modelled");
  CHECK(r.json().as_object().contains("accounts"));

  r = c.get("/v1/project/demo/no-such-thing");
  CHECK(r.status == 404);
  CHECK(str(r.json().at("message")) == "The route GET /v1/project/demo/no-such-thing does not exist in the API");
  CHECK(c.request(http::verb::patch, "/v1/project/demo", "{}").status == 405);
}

TEST_CASE("request bodies are validated against the document with Aiven's 400") {
  simulator sim(quick_options());
  test_client c(sim);
  reply r = c.request(http::verb::post, "/v1/project/demo/service", R"({"plan":"startup-4","service_type":"pg"})");
  CHECK(r.status == 400);
  CHECK(str(r.json().at("message")) == "Missing required field: service_name");
  CHECK(r.json().at("errors").as_array()[0].at("status").as_int64() == 400);
  CHECK(code_of(r) == "bad_request");
  r = c.request(http::verb::post, "/v1/project/demo/service",
                R"({"plan":"startup-4","service_type":"pg","service_name":"a","termination_protection":"yes"})");
  CHECK(r.status == 400);
  CHECK(str(r.json().at("message")) == "Invalid input for termination_protection: expected boolean, got string");
  // A null for a member that is not required is as if it were absent (the official client sends "cloud": null).
  r = c.request(http::verb::post, "/v1/project/demo/service",
                R"({"cloud":null,"plan":"startup-4","service_type":"pg","service_name":"a","service_integrations":null})");
  CHECK(r.status == 200);
  CHECK(str(r.json().at("service").at("cloud_name")) == "google-europe-west1");  // the project's default cloud
  // Every family's body is checked the same way.
  r = c.request(http::verb::post, "/v1/project/demo/vpcs", R"({"cloud_name":"aws-eu-west-1"})");
  CHECK(r.status == 400);
}

TEST_CASE("service users, databases and pools round-trip and show in the service object") {
  simulator sim(quick_options());
  test_client c(sim);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service", pg_service).status == 200);
  const std::string svc = "/v1/project/demo/service/db1";

  reply r = c.request(http::verb::post, svc + "/user", R"({"username":"app"})");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("user").at("username")) == "app");
  const std::string password = str(r.json().at("user").at("password"));
  CHECK(password.starts_with("AVNS_"));
  r = c.request(http::verb::post, svc + "/user", R"({"username":"app"})");
  CHECK(r.status == 409);
  r = c.get(svc + "/user/app");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("user").at("password")) == password);
  r = c.request(http::verb::put, svc + "/user/app", R"({"operation":"reset-credentials","new_password":"s3cret-pass"})");
  REQUIRE(r.status == 200);
  CHECK(str(c.get(svc + "/user/app").json().at("user").at("password")) == "s3cret-pass");

  r = c.request(http::verb::post, svc + "/db", R"({"database":"appdb"})");
  CHECK(r.status == 200);
  CHECK(c.request(http::verb::post, svc + "/db", R"({"database":"appdb"})").status == 409);
  r = c.get(svc + "/db");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("databases").as_array().size() == 2);  // defaultdb and appdb

  r = c.request(http::verb::post, svc + "/connection_pool", R"({"pool_name":"p1","database":"appdb","username":"app"})");
  CHECK(r.status == 200);
  r = c.request(http::verb::post, svc + "/connection_pool", R"({"pool_name":"p1","database":"appdb"})");
  CHECK(r.status == 409);
  CHECK(code_of(r) == "pg_pool_already_exists");
  CHECK(c.request(http::verb::put, svc + "/connection_pool/p1", R"({"pool_size":42})").status == 200);

  auto s = c.get(svc).json().at("service").as_object();
  std::vector<std::string> users, dbs;
  for (const auto& u : s.at("users").as_array()) users.push_back(str(u.at("username")));
  for (const auto& d : s.at("databases").as_array()) dbs.push_back(str(d));
  CHECK(users == std::vector<std::string>{"app", "avnadmin"});
  CHECK(dbs == std::vector<std::string>{"appdb", "defaultdb"});
  REQUIRE(s.at("connection_pools").as_array().size() == 1);
  const auto& pool = s.at("connection_pools").as_array()[0];
  CHECK(pool.at("pool_size").as_int64() == 42);
  CHECK(str(pool.at("connection_uri")).find("/p1?sslmode=require") != std::string::npos);
  CHECK(str(s.at("service_uri")).find("/defaultdb?sslmode=require") != std::string::npos);

  CHECK(c.request(http::verb::delete_, svc + "/connection_pool/p1").status == 200);
  r = c.request(http::verb::delete_, svc + "/connection_pool/p1");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "pg_pool_not_found");
  CHECK(c.request(http::verb::delete_, svc + "/user/app").status == 200);
  CHECK(c.get(svc + "/user/app").status == 404);
  CHECK(c.request(http::verb::delete_, svc + "/db/appdb").status == 200);
  r = c.request(http::verb::delete_, svc + "/db/appdb");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "database_not_found");
  CHECK(c.get(svc).json().at("service").at("databases").as_array().size() == 1);

  r = c.get("/v1/project/demo/service/nope/user/app");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "service_does_not_exist");
  CHECK(str(r.json().at("message")) == "Service does not exist");
}

TEST_CASE("Kafka: topics CONFIGURING -> ACTIVE -> DELETING, ACLs, users with certificates, schema subjects") {
  simulator sim(slow_lifecycles());
  test_client c(sim);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service",
                    R"({"plan":"business-4","service_name":"k1","service_type":"kafka"})")
              .status == 200);
  const std::string svc = "/v1/project/demo/service/k1";

  reply r = c.request(http::verb::post, svc + "/topic", R"({"topic_name":"orders","partitions":3,"replication":2})");
  REQUIRE(r.status == 200);
  r = c.request(http::verb::post, svc + "/topic", R"({"topic_name":"orders","partitions":3,"replication":2})");
  CHECK(r.status == 409);
  CHECK(code_of(r) == "kafka_topic_already_exists");
  r = c.get(svc + "/topic/orders");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("topic").at("state")) == "CONFIGURING");
  CHECK(r.json().at("topic").at("partitions").as_array().size() == 3);
  sim.set_service_ready_delay(0ms);
  CHECK(str(c.get(svc + "/topic/orders").json().at("topic").at("state")) == "ACTIVE");
  r = c.get(svc + "/topic");
  REQUIRE(r.json().at("topics").as_array().size() == 1);
  CHECK(r.json().at("topics").as_array()[0].at("replication").as_int64() == 2);
  CHECK(c.request(http::verb::put, svc + "/topic/orders", R"({"retention_hours":24})").status == 200);
  CHECK(c.get(svc + "/topic/orders").json().at("topic").at("retention_hours").as_int64() == 24);

  sim.set_service_ready_delay(std::chrono::hours(1));
  CHECK(c.request(http::verb::delete_, svc + "/topic/orders").status == 200);
  CHECK(str(c.get(svc + "/topic/orders").json().at("topic").at("state")) == "DELETING");
  r = c.request(http::verb::post, svc + "/topic", R"({"topic_name":"orders"})");
  CHECK(r.status == 409);
  CHECK(code_of(r) == "kafka_topic_queued_for_deletion");
  sim.set_service_ready_delay(0ms);
  r = c.get(svc + "/topic/orders");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "kafka_topic_not_found");

  r = c.request(http::verb::post, svc + "/acl", R"({"permission":"read","topic":"orders","username":"app"})");
  REQUIRE(r.status == 200);
  REQUIRE(r.json().at("acl").as_array().size() == 1);
  const std::string acl_id = str(r.json().at("acl").as_array()[0].at("id"));
  CHECK(c.get(svc + "/acl").json().at("acl").as_array().size() == 1);
  CHECK(c.get(svc).json().at("service").at("acl").as_array().size() == 1);
  r = c.request(http::verb::delete_, svc + "/acl/" + acl_id);
  CHECK(r.status == 200);
  CHECK(r.json().at("acl").as_array().empty());
  r = c.request(http::verb::delete_, svc + "/acl/" + acl_id);
  CHECK(r.status == 404);
  CHECK(code_of(r) == "service_acl_not_found");

  r = c.request(http::verb::post, svc + "/user", R"({"username":"app"})");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("user").at("access_cert")).starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(str(r.json().at("user").at("access_key")).starts_with("-----BEGIN PRIVATE KEY-----"));
  const json::value kafka = c.get(svc).json();
  for (const auto& u : kafka.at("service").at("users").as_array()) CHECK(u.as_object().contains("access_cert"));

  const std::string subj = svc + "/kafka/schema/subjects/orders-value";
  r = c.request(http::verb::post, subj + "/versions", R"({"schema":"{\"type\":\"string\"}"})");
  REQUIRE(r.status == 200);
  const auto id = r.json().at("id").as_int64();
  CHECK(c.request(http::verb::post, subj + "/versions", R"({"schema":"{\"type\":\"string\"}"})").json().at("id") == id);
  CHECK(c.request(http::verb::post, subj + "/versions", R"({"schema":"{\"type\":\"long\"}"})").status == 200);
  CHECK(c.get(subj + "/versions").json().at("versions").as_array().size() == 2);
  CHECK(c.get(svc + "/kafka/schema/subjects").json().at("subjects").as_array().size() == 1);
  CHECK(str(c.get(subj + "/versions/1").json().at("version").at("schema")) == R"({"type":"string"})");
  CHECK(c.request(http::verb::delete_, subj).status == 200);
  CHECK(c.get(subj + "/versions").status == 404);
}

TEST_CASE("services: REBUILDING -> RUNNING, REBALANCING on a Kafka plan change, POWEROFF") {
  simulator sim(slow_lifecycles());
  test_client c(sim);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service",
                    R"({"plan":"business-4","service_name":"k1","service_type":"kafka"})")
              .status == 200);
  const std::string svc = "/v1/project/demo/service/k1";
  CHECK(str(c.get(svc).json().at("service").at("state")) == "REBUILDING");
  sim.set_service_ready_delay(0ms);
  CHECK(str(c.get(svc).json().at("service").at("state")) == "RUNNING");
  sim.set_service_ready_delay(std::chrono::hours(1));
  CHECK(str(c.request(http::verb::put, svc, R"({"plan":"business-8"})").json().at("service").at("state")) ==
        "REBALANCING");
  sim.set_service_ready_delay(0ms);
  CHECK(str(c.get(svc).json().at("service").at("state")) == "RUNNING");
  CHECK(str(c.request(http::verb::put, svc, R"({"powered":false})").json().at("service").at("state")) == "POWEROFF");
}

TEST_CASE("integrations, VPCs with peerings, tokens and project members") {
  simulator sim(slow_lifecycles());
  test_client c(sim);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service", pg_service).status == 200);
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service",
                    R"({"plan":"startup-4","service_name":"graf","service_type":"grafana"})")
              .status == 200);

  reply r = c.request(http::verb::post, "/v1/project/demo/integration",
                      R"({"integration_type":"dashboard","source_service":"graf","dest_service":"db1"})");
  REQUIRE(r.status == 200);
  const std::string iid = str(r.json().at("service_integration").at("service_integration_id"));
  CHECK(r.json().at("service_integration").at("active") == false);
  sim.set_service_ready_delay(0ms);
  CHECK(c.get("/v1/project/demo/integration/" + iid).json().at("service_integration").at("active") == true);
  CHECK(c.get("/v1/project/demo/service/db1/integration").json().at("service_integrations").as_array().size() == 1);
  CHECK(c.request(http::verb::post, "/v1/project/demo/integration",
                  R"({"integration_type":"dashboard","source_service":"nope","dest_service":"db1"})")
            .status == 404);
  CHECK(c.request(http::verb::delete_, "/v1/project/demo/integration/" + iid).status == 200);
  r = c.get("/v1/project/demo/integration/" + iid);
  CHECK(r.status == 404);
  CHECK(code_of(r) == "service_integration_not_found");

  sim.set_service_ready_delay(std::chrono::hours(1));
  r = c.request(http::verb::post, "/v1/project/demo/vpcs",
                R"({"cloud_name":"aws-eu-west-1","network_cidr":"10.1.0.0/24","peering_connections":[]})");
  REQUIRE(r.status == 200);
  const std::string vpc = "/v1/project/demo/vpcs/" + str(r.json().at("project_vpc_id"));
  CHECK(str(r.json().at("state")) == "APPROVED");
  CHECK(c.request(http::verb::post, "/v1/project/demo/vpcs",
                  R"({"cloud_name":"aws-eu-west-1","network_cidr":"10.2.0.0/24","peering_connections":[]})")
            .status == 409);
  r = c.request(http::verb::post, vpc + "/peering-connections", R"({"peer_cloud_account":"123456789012","peer_vpc":"vpc-1"})");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("state")) == "APPROVED");
  sim.set_service_ready_delay(0ms);
  r = c.get(vpc);
  CHECK(str(r.json().at("state")) == "ACTIVE");
  REQUIRE(r.json().at("peering_connections").as_array().size() == 1);
  CHECK(str(r.json().at("peering_connections").as_array()[0].at("state")) == "ACTIVE");
  CHECK(c.get("/v1/project/demo/vpcs").json().at("vpcs").as_array().size() == 1);
  sim.set_service_ready_delay(std::chrono::hours(1));
  CHECK(c.request(http::verb::delete_, vpc + "/peering-connections/peer-accounts/123456789012/peer-vpcs/vpc-1").status == 200);
  CHECK(str(c.get(vpc).json().at("peering_connections").as_array()[0].at("state")) == "DELETING");
  r = c.request(http::verb::delete_, vpc);
  CHECK(r.status == 200);
  CHECK(str(r.json().at("state")) == "DELETING");
  CHECK(str(c.get(vpc).json().at("state")) == "DELETING");
  sim.set_service_ready_delay(0ms);
  CHECK(c.get(vpc).status == 404);
  CHECK(c.get("/v1/project/demo/vpcs").json().at("vpcs").as_array().empty());

  r = c.request(http::verb::post, "/v1/access_token", R"({"description":"ci"})");
  REQUIRE(r.status == 200);
  const std::string prefix = str(r.json().at("token_prefix"));
  CHECK(str(r.json().at("full_token")).starts_with(prefix));
  CHECK(c.get("/v1/access_token").json().at("tokens").as_array().size() == 1);
  CHECK(c.request(http::verb::put, "/v1/access_token/" + prefix, R"({"description":"ci2"})").status == 200);
  CHECK(str(c.get("/v1/access_token").json().at("tokens").as_array()[0].at("description")) == "ci2");
  CHECK(c.request(http::verb::delete_, "/v1/access_token/" + prefix).status == 200);
  CHECK(c.request(http::verb::delete_, "/v1/access_token/" + prefix).status == 404);

  CHECK(c.request(http::verb::post, "/v1/project/demo/invite", R"({"user_email":"dev@example.com"})").status == 200);
  CHECK(c.request(http::verb::post, "/v1/project/demo/invite", R"({"user_email":"dev@example.com"})").status == 409);
  CHECK(c.get("/v1/project/demo/users").json().at("users").as_array().size() == 2);
  CHECK(c.request(http::verb::put, "/v1/project/demo/user/dev@example.com", R"({"member_type":"admin"})").status == 200);
  CHECK(c.request(http::verb::delete_, "/v1/project/demo/user/dev@example.com").status == 200);
  r = c.request(http::verb::delete_, "/v1/project/demo/user/dev@example.com");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "project_has_no_such_user");
}

TEST_CASE("Aiven's rate limiter: fixed window per token, with the API's message") {
  simulator_options o = quick_options();
  o.tokens = {"t1", "t2"};
  o.rate_limit = {aiven::sim::rate_limit_mode::fixed_window, 3, std::chrono::seconds(60)};
  simulator sim(o);
  test_client c(sim);
  for (int i = 0; i < 3; ++i) CHECK(c.request(http::verb::get, "/v1/project", "", true, false, "t1").status == 200);
  reply r = c.request(http::verb::get, "/v1/project", "", true, false, "t1");
  CHECK(r.status == 429);
  CHECK(str(r.json().at("message")) ==
        "The user has sent too many requests in a given amount of time: Rate limit 3 exceeded - try again in 60s");
  CHECK(r.header("retry-after") == "60");
  CHECK(c.request(http::verb::get, "/v1/project", "", true, false, "t2").status == 200);  // its own window
  CHECK(sim.faults_injected() == 0);
  sim.set_rate_limit({});
  CHECK(c.request(http::verb::get, "/v1/project", "", true, false, "t1").status == 200);
}

TEST_CASE("rate limiter logic: fixed window and leaky bucket, on a given clock") {
  using aiven::sim::rate_limit_mode;
  aiven::sim::detail::rate_limiter l;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(!l.admit("a", t0));  // off by default
  l.configure({rate_limit_mode::fixed_window, 2, std::chrono::seconds(10)});
  CHECK(!l.admit("a", t0));
  CHECK(!l.admit("a", t0 + 1s));
  CHECK(l.admit("a", t0 + 2s) == 8u);
  CHECK(l.admit("a", t0 + 9500ms) == 1u);
  CHECK(!l.admit("a", t0 + 10s));  // a new window
  l.configure({rate_limit_mode::leaky_bucket, 2, std::chrono::seconds(10)});  // drains one per 5 s
  CHECK(!l.admit("a", t0));
  CHECK(!l.admit("a", t0));
  CHECK(l.admit("a", t0 + 1s) == 4u);
  CHECK(!l.admit("a", t0 + 5s));
  CHECK(l.admit("a", t0 + 5s) == 5u);
}

TEST_CASE("eventual consistency: a just-created resource reads 404 for a while") {
  simulator sim(quick_options());
  test_client c(sim);
  sim.set_consistency_delay(std::chrono::hours(1));
  REQUIRE(c.request(http::verb::post, "/v1/project/demo/service", pg_service).status == 200);
  reply r = c.get("/v1/project/demo/service/db1");
  CHECK(r.status == 404);
  CHECK(code_of(r) == "service_does_not_exist");
  CHECK(c.get("/v1/project/demo/service").json().at("services").as_array().empty());
  sim.set_consistency_delay(0ms);
  CHECK(c.get("/v1/project/demo/service/db1").status == 200);
}

TEST_CASE("respond() stubs any route of the document; seed() creates running services") {
  simulator sim(quick_options());
  test_client c(sim);
  sim.respond("GET", "/v1/project/{project}/service/{service_name}", 503);
  reply r = c.get("/v1/project/demo/service/anything");
  CHECK(r.status == 503);
  CHECK(r.json().at("errors").as_array()[0].at("status").as_int64() == 503);
  sim.respond("GET", "/v1/me", 200, R"({"user":{"user":"stub@example.com"}})");
  CHECK(str(c.get("/v1/me").json().at("user").at("user")) == "stub@example.com");
  CHECK_THROWS_AS(sim.respond("GET", "/v1/nothing", 200), std::invalid_argument);
  sim.clear_responses();
  CHECK(c.get("/v1/project/demo/service/anything").status == 404);

  sim.seed(R"({"projects":[{"project_name":"ci","default_cloud":"aws-eu-west-1",
                "services":[{"service_name":"pg1","service_type":"pg","plan":"startup-4"},
                            {"service_name":"k1","service_type":"kafka","state":"POWEROFF"}]}]})");
  r = c.get("/v1/project/ci/service/pg1");
  REQUIRE(r.status == 200);
  CHECK(str(r.json().at("service").at("state")) == "RUNNING");
  CHECK(str(r.json().at("service").at("cloud_name")) == "aws-eu-west-1");
  CHECK(str(c.get("/v1/project/ci/service/k1").json().at("service").at("state")) == "POWEROFF");
  CHECK_THROWS_AS(sim.seed(R"({"projects":[{"services":[]}]})"), std::invalid_argument);
  CHECK_THROWS_AS(sim.seed("[]"), std::invalid_argument);
}
