// The official Python client's CI flow against the simulator: the HTTP requests that
// `avn` (aiven/aiven-client, aiven/client/cli.py and client.py) sends for
//   avn project create ci
//   avn service create pg1 -t pg --plan startup-4 -c pg_version=16
//   avn service wait pg1;  avn service get pg1
//   avn service user-create pg1 --username app
//   avn service database-create pg1 --dbname appdb
//   avn service create k1 -t kafka --plan business-4;  avn service topic-create k1 orders --partitions 3 --replication 2
//   avn service user-creds-download k1 --username avnadmin
//   avn project ca-get --target-filepath ca.pem
//   avn service terminate --force pg1
// in that order and with the same bodies, key order included (the client serializes its
// dicts in insertion order; `"cloud": null` when no --cloud is given). The client itself
// cannot be installed here (neither Debian nor npm packages it), so the test plays it.
#include "sim_client.hpp"

namespace {

struct avn {
  test_client& c;
  // AivenClientBase.verify(): a non-2xx answer is an error; so is a body with "error".
  json::object call(http::verb method, const std::string& path, const std::string& body = "") {
    reply r = c.request(method, path, body);
    INFO(path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status / 100 == 2);
    json::value v = r.json();
    REQUIRE(v.is_object());
    CHECK(!v.as_object().contains("error"));
    return v.as_object();
  }
};

}  // namespace

TEST_CASE("the official client's CI flow: create, wait, users, databases, topics, CA, terminate") {
  simulator_options o;
  o.service_ready_delay = 300ms;
  simulator sim(o);
  test_client c(sim);
  avn cli{c};

  // avn project create ci: client.create_project() sends card_id and cloud even when unset.
  auto project = cli.call(http::verb::post, "/v1/project", R"({"card_id": null, "cloud": null, "project": "ci"})");
  CHECK(str(project.at("project").at("default_cloud")) == "google-europe-west1");

  // avn service create: the type's user_config_schema first (to map -c KEY=VALUE), then the
  // version's end of life (a version was asked for), then the create.
  auto types = cli.call(http::verb::get, "/v1/project/ci/service_types");
  const auto& pg_schema = types.at("service_types").at("pg").at("user_config_schema").as_object();
  const auto& version_opt = pg_schema.at("properties").at("pg_version").as_object();
  CHECK(version_opt.at("type").as_array()[0] == "string");  // convert_str_to_value() reads "type"
  bool has_16 = false;
  for (const auto& v : version_opt.at("enum").as_array()) has_16 |= v == "16";
  CHECK(has_16);
  auto versions = cli.call(http::verb::get, "/v1/service_versions");
  bool found = false;
  for (const auto& v : versions.at("service_versions").as_array())
    if (v.at("service_type") == "pg" && v.at("major_version") == "16") found = !v.at("aiven_end_of_life_time").is_null();
  CHECK(found);
  auto created = cli.call(http::verb::post, "/v1/project/ci/service",
                          R"({"cloud": null, "plan": "startup-4", "service_integrations": [], "service_name": "pg1", )"
                          R"("service_type": "pg", "user_config": {"pg_version": "16"}, "termination_protection": false, )"
                          R"("static_ips": []})");
  CHECK(str(created.at("service").at("state")) == "REBUILDING");
  CHECK(str(created.at("service").at("cloud_name")) == "google-europe-west1");
  CHECK(str(created.at("service").at("user_config").at("pg_version")) == "16");

  // avn service wait pg1: GET until RUNNING (avn sleeps 3 s between polls; the test less).
  std::string state;
  for (int i = 0; i < 200 && state != "RUNNING"; ++i) {
    state = str(cli.call(http::verb::get, "/v1/project/ci/service/pg1").at("service").at("state"));
    if (state != "RUNNING") std::this_thread::sleep_for(20ms);
  }
  REQUIRE(state == "RUNNING");
  // avn service get pg1
  auto svc = cli.call(http::verb::get, "/v1/project/ci/service/pg1").at("service").as_object();
  CHECK(str(svc.at("service_uri")).starts_with("postgres://avnadmin:"));

  // avn service user-create / database-create
  auto user = cli.call(http::verb::post, "/v1/project/ci/service/pg1/user", R"({"username": "app"})");
  CHECK(str(user.at("user").at("username")) == "app");
  cli.call(http::verb::post, "/v1/project/ci/service/pg1/db", R"({"database": "appdb"})");
  svc = cli.call(http::verb::get, "/v1/project/ci/service/pg1").at("service").as_object();
  CHECK(svc.at("users").as_array().size() == 2);  // avn service user-list reads these
  CHECK(svc.at("databases").as_array().size() == 2);  // avn service database-list reads these

  // avn service create k1 -t kafka ... and avn service topic-create: unset options go as null.
  cli.call(http::verb::get, "/v1/project/ci/service_types");
  cli.call(http::verb::post, "/v1/project/ci/service",
           R"({"cloud": null, "plan": "business-4", "service_integrations": [], "service_name": "k1", )"
           R"("service_type": "kafka", "user_config": {}, "termination_protection": false, "static_ips": []})");
  cli.call(http::verb::post, "/v1/project/ci/service/k1/topic",
           R"({"cleanup_policy": "delete", "min_insync_replicas": null, "topic_name": "orders", "partitions": 3, )"
           R"("replication": 2, "retention_bytes": null, "retention_hours": null, "tags": []})");
  auto topics = cli.call(http::verb::get, "/v1/project/ci/service/k1/topic");  // avn service topic-list
  REQUIRE(topics.at("topics").as_array().size() == 1);
  CHECK(topics.at("topics").as_array()[0].at("retention_hours").is_int64());  // avn compares it with -1

  // avn service user-creds-download k1 --username avnadmin: the CA, then the user's certificate and key.
  auto ca = cli.call(http::verb::get, "/v1/project/ci/kms/ca");
  CHECK(str(ca.at("certificate")) == sim.ca_pem());
  bool has_cert = false;
  const auto kafka = cli.call(http::verb::get, "/v1/project/ci/service/k1");
  for (const auto& u : kafka.at("service").at("users").as_array())
    if (u.at("username") == "avnadmin") has_cert = u.as_object().contains("access_cert") && u.as_object().contains("access_key");
  CHECK(has_cert);

  // avn project ca-get: what sslmode=verify-full needs.
  CHECK(str(cli.call(http::verb::get, "/v1/project/ci/kms/ca").at("certificate")).starts_with("-----BEGIN CERTIFICATE-----"));

  // avn service terminate --force pg1
  cli.call(http::verb::delete_, "/v1/project/ci/service/pg1");
  CHECK(c.get("/v1/project/ci/service/pg1").status == 404);

  // The simulator saw exactly that sequence; nothing answered 404 or 405 along the way.
  for (const auto& r : sim.requests()) {
    if (r.target == "/v1/project/ci/service/pg1" && r.method == "GET" && r.status == 404) continue;  // after terminate
    CHECK_MESSAGE(r.status / 100 == 2, r.method << " " << r.target << " " << r.status);
  }
}

TEST_CASE("the official client with --cloud lists the project's VPCs first; /v1/me and clouds answer") {
  simulator sim(quick_options());
  test_client c(sim);
  avn cli{c};
  // avn service create --cloud X looks for a project VPC in that cloud: GET .../vpcs.
  CHECK(cli.call(http::verb::get, "/v1/project/demo/vpcs").at("vpcs").as_array().empty());
  auto me = cli.call(http::verb::get, "/v1/me");  // avn user info
  CHECK(str(me.at("user").at("user")) == "sim-user@example.com");
  CHECK(me.at("user").at("projects").as_array().size() == 1);
  auto clouds = cli.call(http::verb::get, "/v1/project/demo/clouds");  // avn cloud list --project demo
  CHECK(clouds.at("clouds").as_array().size() > 50);
  // avn service type get: GET .../service-types/{type} in newer clients.
  auto type = cli.call(http::verb::get, "/v1/project/demo/service-types/kafka");
  CHECK(type.at("user_config_schema").at("properties").as_object().contains("kafka_version"));
  CHECK(c.get("/v1/project/demo/service-types/nope").status == 404);
}
