#include "sim/router.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

namespace aiven::sim::detail {

namespace json = boost::json;

const std::string& path_params::operator[](std::string_view name) const {
  static const std::string empty;
  for (const auto& [k, v] : items)
    if (k == name) return v;
  return empty;
}

struct router::node {
  std::map<std::string, std::unique_ptr<node>, std::less<>> literal;
  std::unique_ptr<node> param;
  std::string_view param_name;
  std::vector<const route_info*> routes;  // one per method
};

router::router() : root_(std::make_unique<node>()) {
  for (const route_info& r : generated_routes()) {
    node* n = root_.get();
    std::string_view p = r.path;
    if (p.starts_with('/')) p.remove_prefix(1);
    while (!p.empty()) {
      auto slash = p.find('/');
      std::string_view seg = p.substr(0, slash);
      p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
      if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
        if (!n->param) n->param = std::make_unique<node>();
        n = n->param.get();
        n->param_name = seg.substr(1, seg.size() - 2);
      } else {
        auto it = n->literal.find(seg);
        if (it == n->literal.end()) it = n->literal.emplace(std::string(seg), std::make_unique<node>()).first;
        n = it->second.get();
      }
    }
    n->routes.push_back(&r);
  }
  // Parsed once: the table holds each distinct schema once.
  for (int i = 0;; ++i) {
    bool used = false;
    for (const route_info& r : generated_routes()) used |= r.body_schema == i;
    if (!used) break;
    schemas_.push_back(json::parse(generated_body_schema(i)));
  }
}

router::~router() = default;

router::outcome router::find(std::string_view method, const std::vector<std::string>& segments,
                             const route_info*& route, path_params& params) const {
  // Depth-first, literal before parameter; the first template with the method wins, and a
  // path some template matches without the method is a 405.
  bool path_matched = false;
  std::vector<std::pair<std::string_view, std::string>> stack;
  auto walk = [&](auto& self, const node& n, std::size_t i) -> bool {
    if (i == segments.size()) {
      if (n.routes.empty()) return false;
      path_matched = true;
      for (const route_info* r : n.routes) {
        if (r->method == method) {
          route = r;
          params.items = stack;
          return true;
        }
      }
      return false;
    }
    if (auto it = n.literal.find(segments[i]); it != n.literal.end())
      if (self(self, *it->second, i + 1)) return true;
    if (n.param && !segments[i].empty()) {
      stack.emplace_back(n.param->param_name, segments[i]);
      if (self(self, *n.param, i + 1)) return true;
      stack.pop_back();
    }
    return false;
  };
  if (walk(walk, *root_, 0)) return outcome::found;
  return path_matched ? outcome::method_not_allowed : outcome::not_found;
}

const route_info* router::by_op_id(std::string_view op_id) const {
  for (const route_info& r : generated_routes())
    if (r.op_id == op_id) return &r;
  return nullptr;
}

const json::value& router::body_schema(const route_info& r) const {
  static const json::value none;
  if (r.body_schema < 0 || static_cast<std::size_t>(r.body_schema) >= schemas_.size()) return none;
  return schemas_[static_cast<std::size_t>(r.body_schema)];
}

namespace {

std::string_view kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

bool has_type(const json::value& v, std::string_view t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_bool();
  if (t == "integer") return v.is_int64() || v.is_uint64() || (v.is_double() && v.get_double() == static_cast<double>(static_cast<long long>(v.get_double())));
  if (t == "number") return v.is_number();
  return true;
}

double number_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

std::optional<std::string> check(const json::value& schema, const json::value& v, const std::string& where) {
  const json::object* s = schema.if_object();
  if (s == nullptr || s->empty()) return std::nullopt;
  auto fail = [&](std::string what) -> std::optional<std::string> {
    return "Invalid input for " + (where.empty() ? std::string("body") : where) + ": " + what;
  };
  if (v.is_null()) {
    if (auto n = s->if_contains("nullable"); n && n->is_bool() && n->get_bool()) return std::nullopt;
    if (s->contains("type")) return fail("expected " + std::string(s->at("type").as_string()) + ", got null");
    return std::nullopt;
  }
  if (auto t = s->if_contains("type"); t && t->is_string() && !has_type(v, t->get_string()))
    return fail("expected " + std::string(t->get_string()) + ", got " + std::string(kind_of(v)));
  if (auto e = s->if_contains("enum"); e && e->is_array()) {
    bool found = false;
    for (const auto& x : e->get_array()) found |= x == v;
    if (!found) {
      std::string allowed;
      for (const auto& x : e->get_array())
        if (x.is_string()) allowed += (allowed.empty() ? "" : ", ") + std::string(x.get_string());
      return fail("value is not one of " + allowed);
    }
  }
  if (v.is_string()) {
    auto len = static_cast<std::int64_t>(v.get_string().size());
    if (auto m = s->if_contains("minLength"); m && m->is_int64() && len < m->get_int64())
      return fail("shorter than " + std::to_string(m->get_int64()) + " characters");
    if (auto m = s->if_contains("maxLength"); m && m->is_int64() && len > m->get_int64())
      return fail("longer than " + std::to_string(m->get_int64()) + " characters");
  }
  if (v.is_number()) {
    if (auto m = s->if_contains("minimum"); m && m->is_number() && number_of(v) < number_of(*m))
      return fail("below the minimum " + json::serialize(*m));
    if (auto m = s->if_contains("maximum"); m && m->is_number() && number_of(v) > number_of(*m))
      return fail("above the maximum " + json::serialize(*m));
  }
  if (const json::array* a = v.if_array()) {
    auto n = static_cast<std::int64_t>(a->size());
    if (auto m = s->if_contains("minItems"); m && m->is_int64() && n < m->get_int64())
      return fail("fewer than " + std::to_string(m->get_int64()) + " items");
    if (auto m = s->if_contains("maxItems"); m && m->is_int64() && n > m->get_int64())
      return fail("more than " + std::to_string(m->get_int64()) + " items");
    if (auto items = s->if_contains("items"))
      for (std::size_t i = 0; i < a->size(); ++i)
        if (auto bad = check(*items, (*a)[i], where + "[" + std::to_string(i) + "]")) return bad;
  }
  if (const json::object* o = v.if_object()) {
    const json::object* props = nullptr;
    if (auto p = s->if_contains("properties")) props = p->if_object();
    if (auto r = s->if_contains("required"); r && r->is_array()) {
      for (const auto& name : r->get_array()) {
        if (!name.is_string()) continue;
        auto it = o->find(name.get_string());
        if (it == o->end())
          return "Missing required field: " + (where.empty() ? "" : where + ".") + std::string(name.get_string());
      }
    }
    const json::value* extra = s->if_contains("additionalProperties");
    auto required = [&](std::string_view key) {
      if (auto r = s->if_contains("required"); r && r->is_array())
        for (const auto& name : r->get_array())
          if (name.is_string() && name.get_string() == key) return true;
      return false;
    };
    for (const auto& kv : *o) {
      if (kv.value().is_null() && !required(kv.key())) continue;
      std::string sub = where.empty() ? std::string(kv.key()) : where + "." + std::string(kv.key());
      const json::value* ps = props ? props->if_contains(kv.key()) : nullptr;
      if (ps == nullptr) ps = extra;
      if (ps == nullptr) continue;  // unknown members are ignored, as the API does
      if (auto bad = check(*ps, kv.value(), sub)) return bad;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_body(const json::value& schema, const json::value& v) {
  return check(schema, v, "");
}

}  // namespace aiven::sim::detail
