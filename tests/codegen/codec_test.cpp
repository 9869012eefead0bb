// Unit tests of the JSON codec used by the generated API layer (src/codec/json_codec.hpp):
// the lenient decoding rules, open enums, nullable members and absent optionals.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "codec/json_codec.hpp"

#include <aiven/types.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// A model written the way tools/codegen writes them (see src/api/*.cpp).
namespace sample {

enum class state { unknown, running, powered_off };
std::string_view to_string(state v) noexcept {
  switch (v) {
    case state::running: return "RUNNING";
    case state::powered_off: return "POWEROFF";
    default: return {};
  }
}
bool from_string(std::string_view s, state& out) noexcept {
  if (s == "RUNNING") { out = state::running; return true; }
  if (s == "POWEROFF") { out = state::powered_off; return true; }
  out = state::unknown;
  return false;
}

struct node {
  std::string name;
  std::optional<std::int64_t> size;
};

struct service {
  std::string service_name;
  std::int64_t node_count{};
  double disk{};
  bool enabled{};
  ::aiven::open_enum<state> state_{};
  std::optional<std::vector<node>> nodes;
  std::optional<std::map<std::string, std::string>> tags;
  std::optional<::aiven::nullable<std::string>> maintenance;
  std::optional<std::string> plan;
};

bool decode(const boost::json::value& v, node& out, const aiven::codec::path& p, aiven::codec::context& ctx) {
  const boost::json::object* o = nullptr;
  if (!aiven::codec::begin_object(v, o, p, ctx)) return false;
  if (!o) return true;
  if (!aiven::codec::member(*o, "name", out.name, p, ctx)) return false;
  if (!aiven::codec::member(*o, "size", out.size, p, ctx)) return false;
  return true;
}
boost::json::value encode(const node& in) {
  boost::json::object o;
  aiven::codec::put(o, "name", in.name);
  aiven::codec::put(o, "size", in.size);
  return o;
}

bool decode(const boost::json::value& v, service& out, const aiven::codec::path& p, aiven::codec::context& ctx) {
  const boost::json::object* o = nullptr;
  if (!aiven::codec::begin_object(v, o, p, ctx)) return false;
  if (!o) return true;
  if (!aiven::codec::member(*o, "service_name", out.service_name, p, ctx)) return false;
  if (!aiven::codec::member(*o, "node_count", out.node_count, p, ctx)) return false;
  if (!aiven::codec::member(*o, "disk", out.disk, p, ctx)) return false;
  if (!aiven::codec::member(*o, "enabled", out.enabled, p, ctx)) return false;
  if (!aiven::codec::member(*o, "state", out.state_, p, ctx)) return false;
  if (!aiven::codec::member(*o, "nodes", out.nodes, p, ctx)) return false;
  if (!aiven::codec::member(*o, "tags", out.tags, p, ctx)) return false;
  if (!aiven::codec::member(*o, "maintenance", out.maintenance, p, ctx)) return false;
  if (!aiven::codec::member(*o, "plan", out.plan, p, ctx)) return false;
  return true;
}
boost::json::value encode(const service& in) {
  boost::json::object o;
  aiven::codec::put(o, "service_name", in.service_name);
  aiven::codec::put(o, "node_count", in.node_count);
  aiven::codec::put(o, "disk", in.disk);
  aiven::codec::put(o, "enabled", in.enabled);
  aiven::codec::put(o, "state", in.state_);
  aiven::codec::put(o, "nodes", in.nodes);
  aiven::codec::put(o, "tags", in.tags);
  aiven::codec::put(o, "maintenance", in.maintenance);
  aiven::codec::put(o, "plan", in.plan);
  return o;
}

}  // namespace sample

namespace {

aiven::error_code decode_body(std::string_view text, sample::service& out, aiven::diagnostics& diag) {
  return aiven::codec::body_decoder{}(boost::json::parse(text), out, &diag);
}

aiven::error_code decode_wrapped(std::string_view text, sample::service& out, aiven::diagnostics& diag) {
  return aiven::codec::member_decoder{"service"}(boost::json::parse(text), out, &diag);
}

}  // namespace

TEST_SUITE("codec.decode") {
  TEST_CASE("unknown members are ignored") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"service_name":"pg","extra":{"deep":[1,2]},"x":null})", s, d));
    CHECK(s.service_name == "pg");
  }

  TEST_CASE("null gives the empty or default value") {
    sample::service s;
    s.plan = "old";
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(
        R"({"service_name":null,"node_count":null,"disk":null,"enabled":null,"state":null,"nodes":null,"plan":null})", s,
        d));
    CHECK(s.service_name.empty());
    CHECK(s.node_count == 0);
    CHECK_FALSE(s.plan.has_value());
    CHECK_FALSE(s.nodes.has_value());
    CHECK(s.state_.value() == sample::state::unknown);
  }

  TEST_CASE("missing members, even required ones, give the empty value") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body("{}", s, d));
    CHECK(s.service_name.empty());
    CHECK(s.node_count == 0);
    CHECK_FALSE(s.enabled);
    CHECK_FALSE(s.maintenance.has_value());
  }

  TEST_CASE("an integer may arrive as an integral double; a number as an integer") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"node_count":3.0,"disk":7})", s, d));
    CHECK(s.node_count == 3);
    CHECK(s.disk == 7.0);
  }

  TEST_CASE("a fractional double is not an integer") {
    sample::service s;
    aiven::diagnostics d;
    const auto ec = decode_body(R"({"node_count":3.5})", s, d);
    CHECK(ec == aiven::errc::bad_response);
    CHECK(d.client_message == "$.node_count: expected integer, got number");
  }

  TEST_CASE("a type mismatch names the JSON path") {
    sample::service s;
    aiven::diagnostics d;
    const auto ec = decode_wrapped(R"({"service":{"node_count":"3"}})", s, d);
    CHECK(ec == aiven::errc::bad_response);
    CHECK(d.client_message == "$.service.node_count: expected integer, got string");
  }

  TEST_CASE("a mismatch inside an array names the index") {
    sample::service s;
    aiven::diagnostics d;
    const auto ec = decode_body(R"({"nodes":[{"name":"a"},{"name":"b","size":true}]})", s, d);
    CHECK(ec == aiven::errc::bad_response);
    CHECK(d.client_message == "$.nodes[1].size: expected integer, got boolean");
  }

  TEST_CASE("the body must be an object") {
    sample::service s;
    aiven::diagnostics d;
    CHECK(decode_body("[1]", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$: expected object, got array");
    CHECK(aiven::codec::body_decoder{}(boost::json::parse("\"x\""), s, nullptr) == aiven::errc::bad_response);
  }

  TEST_CASE("a wrapper member that is missing gives the default value") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_wrapped(R"({"message":"ok"})", s, d));
    CHECK(s.service_name.empty());
  }

  TEST_CASE("maps decode every member") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"tags":{"a":"1","b":"2"}})", s, d));
    REQUIRE(s.tags.has_value());
    CHECK(s.tags->size() == 2);
    CHECK(s.tags->at("b") == "2");
    CHECK(decode_body(R"({"tags":{"a":1}})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.tags.a: expected string, got integer");
  }

  TEST_CASE("a nullable member keeps null apart from absent") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"maintenance":null})", s, d));
    REQUIRE(s.maintenance.has_value());
    CHECK(s.maintenance->is_null());
    CHECK_FALSE(decode_body(R"({"maintenance":"sun"})", s, d));
    REQUIRE(s.maintenance.has_value());
    CHECK(**s.maintenance == "sun");
  }
}

TEST_SUITE("codec.enum") {
  TEST_CASE("a known value maps to its enumerator") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"state":"RUNNING"})", s, d));
    CHECK(s.state_ == sample::state::running);
    CHECK(s.state_.known());
    CHECK(s.state_.str() == "RUNNING");
  }

  TEST_CASE("an unknown value is kept and round-trips unchanged") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"state":"REBALANCING"})", s, d));
    CHECK(s.state_.value() == sample::state::unknown);
    CHECK_FALSE(s.state_.known());
    CHECK_FALSE(s.state_ == sample::state::unknown);  // unknown never compares equal to an enumerator
    CHECK(s.state_.str() == "REBALANCING");
    const auto json = aiven::codec::serialize_body(s);
    CHECK(json.find(R"("state":"REBALANCING")") != std::string::npos);
  }

  TEST_CASE("a non-string enum value is a mismatch") {
    sample::service s;
    aiven::diagnostics d;
    CHECK(decode_body(R"({"state":1})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.state: expected string, got integer");
  }

  TEST_CASE("constructed from an enumerator, the string is the document's") {
    aiven::open_enum<sample::state> e = sample::state::powered_off;
    CHECK(e.str() == "POWEROFF");
    CHECK(e == sample::state::powered_off);
  }
}

TEST_SUITE("codec.encode") {
  TEST_CASE("absent optionals are omitted, required members always sent") {
    sample::service s;
    s.service_name = "pg";
    const auto v = boost::json::parse(aiven::codec::serialize_body(s));
    const auto& o = v.as_object();
    CHECK(o.contains("service_name"));
    CHECK(o.contains("node_count"));
    CHECK_FALSE(o.contains("plan"));
    CHECK_FALSE(o.contains("nodes"));
    CHECK_FALSE(o.contains("maintenance"));
  }

  TEST_CASE("a nullable member set to aiven::null sends JSON null") {
    sample::service s;
    s.maintenance = aiven::null;
    auto v = boost::json::parse(aiven::codec::serialize_body(s));
    REQUIRE(v.as_object().contains("maintenance"));
    CHECK(v.as_object().at("maintenance").is_null());
    s.maintenance = "sun";
    v = boost::json::parse(aiven::codec::serialize_body(s));
    CHECK(v.as_object().at("maintenance") == "sun");
  }

  TEST_CASE("nested arrays, maps and optionals encode") {
    sample::service s;
    s.nodes = std::vector<sample::node>{{"a", 1}, {"b", std::nullopt}};
    s.tags = std::map<std::string, std::string>{{"k", "v"}};
    const auto v = boost::json::parse(aiven::codec::serialize_body(s));
    CHECK(boost::json::serialize(v.at("nodes")) == R"([{"name":"a","size":1},{"name":"b"}])");
    CHECK(v.at("tags").at("k") == "v");
  }

  TEST_CASE("query values") {
    CHECK(aiven::codec::query_value(std::int64_t{42}) == "42");
    CHECK(aiven::codec::query_value(true) == "true");
    CHECK(aiven::codec::query_value(std::string("a b")) == "a b");
    CHECK(aiven::codec::query_value(aiven::open_enum<sample::state>(sample::state::running)) == "RUNNING");
  }
}
