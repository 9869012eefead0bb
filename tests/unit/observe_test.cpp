// The redaction rule of the observability hook and its log line.
#include <aiven/observe.hpp>

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

using namespace aiven;

TEST_CASE("secret names: the Aiven fields that carry credentials, and not their neighbours") {
  for (auto n : {"password", "avnadmin_password", "sasl-password", "PASSWORD", "auth_token", "token", "client_secret",
                 "access_key", "access_cert_key", "private_key", "ssl_key", "Private Key", "certificate key", "api_key",
                 "credentials", "Authorization", "key", "passwd"})
    CHECK_MESSAGE(is_secret_name(n), n);
  for (auto n : {"service_name", "host", "port", "user", "state", "access_cert", "ca_cert", "keys", "node_count",
                 "authentication_method", "private_access"})
    CHECK_MESSAGE(!is_secret_name(n), n);
}

TEST_CASE("redact_json hides secret members at any depth and URL passwords, keeps the rest") {
  auto out = redact_json(R"({"service_name":"pg","password":"p1","nested":{"list":[{"access_key":"k1","x":1}]},
    "service_uri":"postgres://avnadmin:p2@pg.example:1234/defaultdb?sslmode=require",
    "uris":["https://u:p3@h:1/x","https://h:2/no-credentials"],"token":null})");
  for (auto secret : {"p1", "k1", "p2", "p3"}) CHECK_MESSAGE(out.find(secret) == std::string::npos, secret);
  auto v = boost::json::parse(out).as_object();
  CHECK(v.at("service_name") == "pg");
  CHECK(v.at("password") == "[REDACTED]");
  CHECK(v.at("nested").at("list").at(0).at("access_key") == "[REDACTED]");
  CHECK(v.at("nested").at("list").at(0).at("x") == 1);
  CHECK(v.at("service_uri") == "postgres://avnadmin:[REDACTED]@pg.example:1234/defaultdb?sslmode=require");
  CHECK(v.at("uris").at(1) == "https://h:2/no-credentials");
  CHECK(v.at("token").is_null());  // nothing to hide
}

TEST_CASE("redact_json withholds a body it cannot read") {
  CHECK(redact_json("password=hunter2") == "[16 bytes, not JSON, withheld]");
  CHECK(redact_json("") == "");
}

TEST_CASE("redact_target hides secret query values only") {
  CHECK(redact_target("/v1/project/p/service/s?include_secrets=true") == "/v1/project/p/service/s?include_secrets=true");
  CHECK(redact_target("/v1/x?token=abc&limit=5&api_key=zz") == "/v1/x?token=[REDACTED]&limit=5&api_key=[REDACTED]");
  CHECK(redact_target("/v1/x") == "/v1/x");
}

TEST_CASE("format_attempt: one readable line") {
  attempt_record r;
  r.operation_id = "ServiceGet";
  r.method = http_method::get;
  r.target = "/v1/project/demo/service/pg";
  r.attempt = 2;
  r.status = 503;
  r.error = errc::server_error;
  r.duration = std::chrono::microseconds(2150);
  r.response_bytes = 120;
  r.will_retry = true;
  auto line = format_attempt(r);
  CHECK(line.rfind("GET /v1/project/demo/service/pg 503 2.1 ms (ServiceGet, attempt 2, sent 0 B, received 120 B)", 0) == 0);
  CHECK(line.find("; retrying") != std::string::npos);
}

TEST_CASE("flags named like secrets are not secrets") {
  CHECK(redact_json(R"({"include_secrets":true,"password":"x"})") == R"({"include_secrets":true,"password":"[REDACTED]"})");
  CHECK(redact_target("/v1/x?include_secrets=false&token=t") == "/v1/x?include_secrets=false&token=[REDACTED]");
}
