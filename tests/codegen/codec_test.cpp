// Unit tests of the JSON codec used by the generated API layer (src/codec/json_sax.hpp, the
// decoders the calls run, and src/codec/json_codec.hpp, the tree decoders kept as their
// reference and the encoders): the lenient decoding rules, open enums, nullable members and
// absent optionals. Every decoding test runs both decoders and checks that they agree.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "codec/json_codec.hpp"
#include "codec/json_sax.hpp"

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
  boost::json::object unknown_fields_;
  friend bool operator==(const node&, const node&) = default;
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
  std::optional<boost::json::value> config;  // free-form
  boost::json::object unknown_fields_;
  friend bool operator==(const service&, const service&) = default;
};

bool decode(const boost::json::value& v, node& out, const aiven::codec::path& p, aiven::codec::context& ctx) {
  const boost::json::object* o = nullptr;
  if (!aiven::codec::begin_object(v, o, p, ctx)) return false;
  if (!o) return true;
  if (!aiven::codec::member(*o, "name", out.name, p, ctx)) return false;
  if (!aiven::codec::member(*o, "size", out.size, p, ctx)) return false;
  static constexpr std::string_view known[] = {"name", "size"};
  aiven::codec::keep_unknown(*o, known, 2, out.unknown_fields_);
  return true;
}
aiven::codec::sax::target sax_members_node(aiven::codec::sax::frame& f, std::string_view k, aiven::codec::sax::handler&) {
  auto& o = *static_cast<node*>(f.obj);
  switch (k.size()) {
    case 4:
      if (k == "name") return aiven::codec::sax::member(f, "name", o.name);
      if (k == "size") return aiven::codec::sax::member(f, "size", o.size);
      break;
    default: break;
  }
  return aiven::codec::sax::unknown(f, k, o.unknown_fields_);
}
const aiven::codec::sax::type_ops& sax_ops(node*) { return aiven::codec::sax::model_ops<&sax_members_node>::ops; }
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
  if (!aiven::codec::member(*o, "config", out.config, p, ctx)) return false;
  static constexpr std::string_view known[] = {"config", "disk", "enabled", "maintenance", "node_count",
                                               "nodes", "plan", "service_name", "state", "tags"};
  aiven::codec::keep_unknown(*o, known, 10, out.unknown_fields_);
  return true;
}
aiven::codec::sax::target sax_members_service(aiven::codec::sax::frame& f, std::string_view k,
                                              aiven::codec::sax::handler&) {
  namespace sax = aiven::codec::sax;
  auto& o = *static_cast<service*>(f.obj);
  switch (k.size()) {
    case 4:
      if (k == "disk") return sax::member(f, "disk", o.disk);
      if (k == "plan") return sax::member(f, "plan", o.plan);
      if (k == "tags") return sax::member(f, "tags", o.tags);
      break;
    case 5:
      if (k == "state") return sax::member(f, "state", o.state_);
      if (k == "nodes") return sax::member(f, "nodes", o.nodes);
      break;
    case 6:
      if (k == "config") return sax::member(f, "config", o.config);
      break;
    case 7:
      if (k == "enabled") return sax::member(f, "enabled", o.enabled);
      break;
    case 10:
      if (k == "node_count") return sax::member(f, "node_count", o.node_count);
      break;
    case 11:
      if (k == "maintenance") return sax::member(f, "maintenance", o.maintenance);
      break;
    case 12:
      if (k == "service_name") return sax::member(f, "service_name", o.service_name);
      break;
    default: break;
  }
  return sax::unknown(f, k, o.unknown_fields_);
}
const aiven::codec::sax::type_ops& sax_ops(service*) {
  return aiven::codec::sax::model_ops<&sax_members_service>::ops;
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

// Decodes `text` with the SAX decoder (one piece, then byte by byte) and with the tree
// reference, from the same starting value: all must agree on the error, its message and the
// result. Returns the SAX decoder's error; `out` holds its result.
template <class T>
aiven::error_code decode_both(std::string_view text, T& out, aiven::diagnostics& diag, std::string_view unwrap) {
  const T start = out;
  diag.client_message.clear();
  const auto ec = aiven::codec::sax::decode_body(text, out, unwrap, &diag);

  T piecewise = start;
  aiven::diagnostics pd;
  aiven::codec::sax::decoder d(aiven::codec::sax::target_of(piecewise), unwrap);
  for (char c : text) d.write(std::string_view(&c, 1));
  CHECK(d.finish(&pd) == ec);
  CHECK(pd.client_message == diag.client_message);
  if (!ec) CHECK(piecewise == out);

  boost::json::error_code pec;
  auto v = text.empty() ? boost::json::value() : boost::json::parse(text, pec);
  if (pec) {
    CHECK(ec == aiven::errc::bad_response);
    CHECK(diag.client_message == "the response body is not valid JSON: " + pec.message());
    return ec;
  }
  T tree = start;
  aiven::diagnostics td;
  const auto tec = unwrap.empty() ? aiven::codec::body_decoder{}(v, tree, &td)
                                  : aiven::codec::member_decoder{unwrap}(v, tree, &td);
  CHECK(tec == ec);
  CHECK(td.client_message == diag.client_message);
  if (!ec) CHECK(tree == out);
  return ec;
}

aiven::error_code decode_body(std::string_view text, sample::service& out, aiven::diagnostics& diag) {
  return decode_both(text, out, diag, {});
}

aiven::error_code decode_wrapped(std::string_view text, sample::service& out, aiven::diagnostics& diag) {
  return decode_both(text, out, diag, "service");
}

}  // namespace

TEST_SUITE("codec.decode") {
  TEST_CASE("unknown members are skipped by the typed members and kept in unknown_fields_") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"service_name":"pg","extra":{"deep":[1,"two",null]},"x":null,"n":-3})", s, d));
    CHECK(s.service_name == "pg");
    CHECK(s.unknown_fields_.size() == 3);
    CHECK(boost::json::serialize(s.unknown_fields_.at("extra")) == R"({"deep":[1,"two",null]})");
    CHECK(s.unknown_fields_.at("x").is_null());
    CHECK(s.unknown_fields_.at("n") == -3);
    CHECK_FALSE(s.unknown_fields_.contains("service_name"));
  }

  TEST_CASE("unknown_fields_ stays empty when every member is known, at every level") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"service_name":"pg","nodes":[{"name":"a","zone":"z1"},{"name":"b"}]})", s, d));
    CHECK(s.unknown_fields_.empty());
    REQUIRE(s.nodes.has_value());
    CHECK(s.nodes->at(0).unknown_fields_.at("zone") == "z1");
    CHECK(s.nodes->at(1).unknown_fields_.empty());
  }

  TEST_CASE("a free-form member is built as JSON, exactly as received") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"config":{"a":[1,2.5,{"b":true}],"c":"d","e":18446744073709551615}})", s, d));
    REQUIRE(s.config.has_value());
    CHECK(*s.config == boost::json::parse(R"({"a":[1,2.5,{"b":true}],"c":"d","e":18446744073709551615})"));
    CHECK(s.config->at("e").is_uint64());
    CHECK_FALSE(decode_body(R"({"config":7})", s, d));
    CHECK(*s.config == 7);
  }

  TEST_CASE("the wrapper's other members are skipped") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_wrapped(R"({"errors":[{"x":[1,{"y":2}]}],"service":{"service_name":"pg"},"message":"ok"})", s, d));
    CHECK(s.service_name == "pg");
    CHECK(s.unknown_fields_.empty());
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
    const auto ec = decode_wrapped(R"({"service":{"node_count":"three"}})", s, d);
    CHECK(ec == aiven::errc::bad_response);
    CHECK(d.client_message == "$.service.node_count: expected integer, got string");
  }

  TEST_CASE("a string that spells an integer exactly is an integer") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"node_count":"3535229570"})", s, d));
    CHECK(s.node_count == 3535229570);
    CHECK_FALSE(decode_body(R"({"node_count":"-12","nodes":[{"size":"0"}]})", s, d));
    CHECK(s.node_count == -12);
    CHECK(s.nodes->at(0).size == 0);
    CHECK_FALSE(decode_body(R"({"node_count":"-9223372036854775808"})", s, d));
    CHECK(s.node_count == INT64_MIN);
    for (const char* bad : {R"("")", R"(" 3")", R"("3 ")", R"("+3")", R"("03")", R"("3.0")", R"("1e3")", R"("-")",
                            R"("0x10")", R"("9223372036854775808")", R"("true")"}) {
      CAPTURE(bad);
      CHECK(decode_body(std::string(R"({"node_count":)") + bad + "}", s, d) == aiven::errc::bad_response);
      CHECK(d.client_message == "$.node_count: expected integer, got string");
    }
    // Only integers: a number member takes no string.
    CHECK(decode_body(R"({"disk":"3"})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.disk: expected number, got string");
  }

  TEST_CASE("a string that spells a boolean exactly is a boolean") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body(R"({"enabled":"true"})", s, d));
    CHECK(s.enabled);
    CHECK_FALSE(decode_body(R"({"enabled":"false"})", s, d));
    CHECK_FALSE(s.enabled);
    for (const char* bad : {R"("False")", R"("1")", R"("")", R"(" true")", R"("yes")"}) {
      CAPTURE(bad);
      CHECK(decode_body(std::string(R"({"enabled":)") + bad + "}", s, d) == aiven::errc::bad_response);
      CHECK(d.client_message == "$.enabled: expected boolean, got string");
    }
    CHECK(decode_body(R"({"enabled":1})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.enabled: expected boolean, got integer");
  }

  TEST_CASE("a string member takes no number, no object") {
    sample::service s;
    aiven::diagnostics d;
    CHECK(decode_body(R"({"service_name":5})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.service_name: expected string, got integer");
    CHECK(decode_body(R"({"service_name":{"a":1}})", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message == "$.service_name: expected string, got object");
  }

  TEST_CASE("a body that is not JSON is errc::bad_response with the parser's reason") {
    sample::service s;
    aiven::diagnostics d;
    for (const char* bad : {R"({"service_name":)", R"({"a":1} x)", "nul", R"({"a":1}{})", " "}) {
      CAPTURE(bad);
      CHECK(decode_body(bad, s, d) == aiven::errc::bad_response);
      CHECK(d.client_message.rfind("the response body is not valid JSON: ", 0) == 0);
    }
    std::string deep(40, '[');
    deep += std::string(40, ']');
    CHECK(decode_body(R"({"config":)" + deep + "}", s, d) == aiven::errc::bad_response);
    CHECK(d.client_message.rfind("the response body is not valid JSON: ", 0) == 0);
  }

  TEST_CASE("an empty body gives the default value") {
    sample::service s;
    aiven::diagnostics d;
    CHECK_FALSE(decode_body("", s, d));
    CHECK(s == sample::service{});
    CHECK_FALSE(decode_wrapped("", s, d));
  }

  TEST_CASE("strings and keys split across pieces and escapes decode whole") {
    sample::service s;
    aiven::diagnostics d;
    // decode_both also feeds the body one byte at a time.
    CHECK_FALSE(decode_body(R"({"serv\u0069ce_name":"p\"g\u00e9","tags":{"k\n":"v\\"},"zz\u0041":"\ud83d\ude00"})", s, d));
    CHECK(s.service_name == "p\"g\xc3\xa9");
    CHECK(s.tags->at("k\n") == "v\\");
    CHECK(s.unknown_fields_.at("zzA") == "\xf0\x9f\x98\x80");
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
