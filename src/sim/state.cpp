#include "sim/state.hpp"

#include "sim/clouds.hpp"
#include "sim/records.hpp"
#include "sim/router.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace aiven::sim::detail {

namespace json = boost::json;

// ---------------------------------------------------------------------------
// Helpers shared by the handlers.

body_ptr make_body(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

api_response error(unsigned status, std::string_view message, std::string_view code) {
  return {status, make_body(error_body(message, status, code)), true};
}

api_response ok(std::string body) { return {200, make_body(std::move(body)), true}; }

api_response ok_json(const json::value& v) { return ok(json::serialize(v)); }

api_response sample_with(const request& r, const json::object& overlay) {
  json::value v = json::parse(generated_sample(r.route.sample));
  if (json::object* o = v.if_object())
    for (const auto& kv : overlay) (*o)[kv.key()] = kv.value();
  api_response out = ok_json(v);
  out.status = r.route.status;
  return out;
}

// ISO 8601 with microseconds, as the API writes its *_time fields.
std::string format_time(std::chrono::system_clock::time_point tp) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int, which keeps -Wformat-truncation quiet
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us % 1000000));
  return buf;
}

std::string now_time() { return format_time(std::chrono::system_clock::now()); }

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Deterministic so that two runs of a test see the same values.
std::string pseudo_secret(std::string_view seed, std::size_t len) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uint64_t h = fnv1a(seed);
  std::string out;
  out.reserve(len);
  for (std::size_t i = 0; i < len; ++i) {
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    out.push_back(alphabet[h % (sizeof alphabet - 1)]);
  }
  return out;
}

std::string pseudo_hex(std::string_view seed, std::size_t len) {
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t h = fnv1a(seed);
  std::string out;
  for (std::size_t i = 0; i < len; ++i) {
    out.push_back(hex[h & 0xf]);
    h = (h >> 4) | (h << 60);
  }
  return out;
}

std::string pseudo_uuid(std::string_view seed) {
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t a = fnv1a(seed), b = fnv1a(seed, a ^ 0x9e3779b97f4a7c15ull);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    std::uint64_t& w = i < 16 ? a : b;
    out.push_back(hex[w & 0xf]);
    w >>= 4;
    if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
  }
  return out;
}

// PEM-shaped text (not a usable key or certificate): enough for tools that store it.
std::string pseudo_pem(std::string_view kind, std::string_view seed) {
  std::string out = "-----BEGIN " + std::string(kind) + "-----\n";
  for (int line = 0; line < 4; ++line) out += pseudo_secret(std::string(seed) + std::to_string(line), 64) + "\n";
  out += "-----END " + std::string(kind) + "-----\n";
  return out;
}

// Host names allow letters, digits and dashes only.
std::string host_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a'), alnum = true;
    out.push_back(alnum ? c : '-');
  }
  return out.empty() ? std::string("x") : out;
}

project_rec* find_project(world& w, const request& r, api_response& err) {
  auto it = w.projects.find(r.param("project"));
  if (it == w.projects.end()) {
    err = error(404, "Project does not exist", "project_does_not_exist");
    return nullptr;
  }
  return it->second.get();
}

service_rec* find_service(world& w, const request& r, api_response& err) {
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return nullptr;
  auto it = p->services.find(r.param("service_name"));
  if (it == p->services.end() || r.now - it->second->created < w.consistency_delay()) {
    err = error(404, "Service does not exist", "service_does_not_exist");
    return nullptr;
  }
  return it->second.get();
}

bool gone(const world& w, const record& rec, steady::time_point now) {
  return rec.deleting != steady::time_point::max() && now - rec.deleting >= w.ready_delay();
}

bool visible(const world& w, const record& rec, steady::time_point now) {
  return now - rec.created >= w.consistency_delay() && !gone(w, rec, now);
}

std::string_view lifecycle(const world& w, const record& rec, steady::time_point now, std::string_view transition,
                           std::string_view ready, std::string_view deleting_state) {
  if (rec.deleting != steady::time_point::max()) return deleting_state;
  return now - rec.created >= w.ready_delay() ? ready : transition;
}

std::string error_body(std::string_view message, unsigned status, std::string_view error_code) {
  json::object item{{"message", message}, {"status", status}};
  if (!error_code.empty()) item["error_code"] = error_code;
  return json::serialize(json::object{{"message", message}, {"errors", json::array{std::move(item)}}});
}

bool percent_decode(std::string_view in, std::string& out) {
  auto hex_value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (in.size() - i < 3) return false;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Projects.

namespace {

json::object tags_json(const std::map<std::string, std::string>& tags) {
  json::object o;
  for (const auto& [k, v] : tags) o[k] = v;
  return o;
}

bool string_member(const json::object& o, std::string_view key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return false;
  out = std::string(it->value().as_string());
  return true;
}

std::map<std::string, std::string> tags_of(const json::object& o) {
  std::map<std::string, std::string> tags;
  if (auto t = o.if_contains("tags"); t && t->is_object())
    for (const auto& kv : t->get_object())
      if (kv.value().is_string()) tags[std::string(kv.key())] = std::string(kv.value().get_string());
  return tags;
}

api_response project_list(world& w, const request&) { return {200, w.project_list_body, true}; }

api_response project_create(world& w, const request& r) {
  const json::object& o = r.body.as_object();
  std::string name(o.at("project").as_string());
  if (name.empty()) return error(400, "Invalid input for project: expected a non-empty string", "bad_request");
  std::string cloud = "google-europe-west1", currency = "USD";
  string_member(o, "cloud", cloud);  // null or absent: the default cloud
  string_member(o, "billing_currency", currency);
  if (!w.add_project(name, cloud, currency, tags_of(o)))
    return error(409, "Project with this name already exists", "project_already_exists");
  return {200, w.projects.at(name)->body, true};
}

api_response project_get(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  return p ? api_response{200, p->body, true} : err;
}

api_response project_update(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  const json::object& o = r.body.as_object();
  string_member(o, "cloud", p->default_cloud);
  string_member(o, "billing_currency", p->currency);
  if (o.contains("tags")) p->tags = tags_of(o);
  p->refresh();
  w.rebuild_project_list();
  return {200, p->body, true};
}

api_response project_delete(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  if (!p->services.empty()) return error(409, "Project has services, delete them first");
  w.projects.erase(r.param("project"));
  w.rebuild_project_list();
  return ok(R"({"message":"deleted"})");
}

constexpr handler_entry project_table[] = {
    {"ProjectList", project_list, false},     {"ProjectCreate", project_create, true},
    {"ProjectGet", project_get, false},       {"ProjectUpdate", project_update, true},
    {"ProjectDelete", project_delete, true},
};

}  // namespace

std::span<const handler_entry> project_handlers() { return project_table; }

void project_rec::refresh() {
  object = json::object{
      {"account_id", account_id},
      {"account_name", "Simulated Account"},
      {"address_lines", json::array{}},
      {"available_credits", "0.00"},
      {"billing_address", ""},
      {"billing_currency", currency},
      {"billing_emails", json::array{json::object{{"email", "billing@example.com"}}}},
      {"billing_extra_text", ""},
      {"billing_group_id", billing_group_id},
      {"billing_group_name", "Default billing group for " + account_id},
      {"city", "Helsinki"},
      {"company", "Example Oy"},
      {"country", "Finland"},
      {"country_code", "FI"},
      {"default_cloud", default_cloud},
      {"estimated_balance", "0.00"},
      {"estimated_balance_local", "0.00"},
      {"features", json::object{{"service_integrations", true},
                                {"tiered_storage", true},
                                {"kafka_native_acls", true},
                                {"custom_dns", false},
                                {"static_ips", true}}},
      {"organization_id", organization_id},
      {"payment_method", "no_payment_expected"},
      {"project_name", name},
      {"state", "active"},
      {"tags", tags_json(tags)},
      {"tech_emails", json::array{json::object{{"email", "ops@example.com"}}}},
      {"tenant_id", "aiven"},
      {"vat_id", ""},
      {"zip_code", "00100"},
  };
  std::string s = R"({"project":)";
  s += json::serialize(object);
  s += '}';
  body = make_body(std::move(s));
}

bool world::add_project(const std::string& name, const std::string& default_cloud, const std::string& currency,
                        const std::map<std::string, std::string>& tags) {
  if (projects.count(name) != 0) return false;
  auto p = std::make_unique<project_rec>();
  p->name = name;
  p->default_cloud = default_cloud;
  p->currency = currency;
  p->tags = tags;
  p->account_id = "a" + pseudo_hex("account", 11);
  p->organization_id = "org" + pseudo_hex("organization", 11);
  p->billing_group_id = pseudo_uuid("billing-group/" + std::to_string(next_project_serial++));
  // Every family's collection exists from the start: readers look them up under a shared lock.
  for (const char* c : {"integrations", "vpcs", "members"}) p->coll(c);
  p->refresh();
  projects.emplace(name, std::move(p));
  rebuild_project_list();
  return true;
}

void world::rebuild_project_list() {
  json::array list;
  json::object membership, memberships;
  for (const auto& [name, p] : projects) {
    list.push_back(p->object);
    membership[name] = "admin";
    memberships[name] = json::array{"admin"};
  }
  project_list_body = make_body(json::serialize(json::object{
      {"projects", std::move(list)},
      {"project_membership", std::move(membership)},
      {"project_memberships", std::move(memberships)},
  }));
}

std::string world::new_id(std::string_view prefix) {
  std::uint64_t n = next_id++;
  return std::string(prefix) + pseudo_hex(std::to_string(n), 4) + std::to_string(n);
}

// ---------------------------------------------------------------------------
// Dispatch.

namespace {

struct dispatch_table {
  std::unordered_map<std::string_view, const handler_entry*> by_op;
  dispatch_table() {
    for (auto table : {project_handlers(), service_handlers(), family_handlers(), catalog_handlers(), log_handlers()})
      for (const handler_entry& e : table) by_op.emplace(e.op_id, &e);
  }
};

const dispatch_table& handlers() {
  static const dispatch_table t;
  return t;
}

}  // namespace

api_state::api_state(std::chrono::milliseconds service_ready_delay)
    : router_(std::make_unique<router>()), world_(std::make_unique<world>()) {
  world_->ready_delay_ms.store(service_ready_delay.count());
  world_->clouds_body = make_body(clouds_body());
  world_->global_coll("tokens");
  world_->add_project("demo", "google-europe-west1", "USD", {});
  (void)handlers();
}

api_state::~api_state() = default;

void api_state::add_project(const std::string& name) {
  std::unique_lock lock(mutex_);
  world_->add_project(name, "google-europe-west1", "USD", {});
}

void api_state::set_service_ready_delay(std::chrono::milliseconds d) { world_->ready_delay_ms.store(d.count()); }
void api_state::set_consistency_delay(std::chrono::milliseconds d) { world_->consistency_delay_ms.store(d.count()); }
void api_state::set_paged_items(std::size_t n) { world_->paged_items.store(n); }

bool api_state::add_service_logs(const std::string& project, const std::string& service, std::size_t n) {
  std::unique_lock lock(mutex_);
  auto p = world_->projects.find(project);
  if (p == world_->projects.end()) return false;
  auto s = p->second->services.find(service);
  if (s == p->second->services.end()) return false;
  append_logs(*s->second, n);
  return true;
}

void api_state::set_ca_pem(std::string pem) {
  std::unique_lock lock(mutex_);
  world_->ca_pem = std::move(pem);
}

bool api_state::respond(std::string_view method, std::string_view path_template, unsigned status, std::string body) {
  const route_info* found = nullptr;
  for (const route_info& r : generated_routes())
    if (r.method == method && r.path == path_template) found = &r;
  if (found == nullptr) return false;
  if (body.empty())
    body = status >= 400 ? error_body("Simulated " + std::to_string(status), status)
                         : std::string(generated_sample(found->sample));
  std::lock_guard lock(stubs_mutex_);
  stubs_[{std::string(method), std::string(path_template)}] = stub{status, make_body(std::move(body))};
  stub_count_.store(stubs_.size());
  return true;
}

void api_state::clear_responses() {
  std::lock_guard lock(stubs_mutex_);
  stubs_.clear();
  stub_count_.store(0);
}

api_response api_state::handle(std::string_view method, std::string_view target, std::string_view body,
                               bool authorized) {
  auto qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  std::string_view query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
  auto no_route = [&] {
    if (!authorized) return api_response{401, make_body(error_body("Invalid token", 401)), false};
    return api_response{404,
                        make_body(error_body("The route " + std::string(method) + " " + std::string(path) +
                                                 " does not exist in the API",
                                             404)),
                        false};
  };
  if (path.empty() || path.front() != '/') return no_route();
  std::vector<std::string> segments;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    std::string seg;
    if (!percent_decode(path.substr(0, slash), seg))
      return {400, make_body(error_body("Invalid percent-encoding in path", 400)), false};
    segments.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  path = target.substr(0, qpos);

  const route_info* route = nullptr;
  path_params params;
  switch (router_->find(method, segments, route, params)) {
    case router::outcome::not_found: return no_route();
    case router::outcome::method_not_allowed:
      if (!authorized) return no_route();
      return {405, make_body(error_body("Method not allowed", 405)), false};
    case router::outcome::found: break;
  }
  if (!authorized && !route->auth_optional) return {401, make_body(error_body("Invalid token", 401)), false};

  if (stub_count_.load() != 0) {
    std::lock_guard lock(stubs_mutex_);
    auto it = stubs_.find({std::string(method), std::string(route->path)});
    if (it != stubs_.end()) return {it->second.status, it->second.body, true};
  }

  json::value parsed;
  const json::value& schema = router_->body_schema(*route);
  if (!schema.is_null()) {
    boost::system::error_code ec;
    if (!body.empty()) parsed = json::parse(body, ec);
    if (ec) return error(400, "Invalid JSON in request body", "bad_request");
    if (body.empty() && schema.as_object().contains("required"))
      return error(400, "Missing request body", "bad_request");
    if (!body.empty())
      if (auto bad = validate_body(schema, parsed)) return error(400, *bad, "bad_request");
    if (body.empty()) parsed = json::object{};  // an optional body left out: no members
  }

  const request req{method, *route, params, parsed, query, steady::now()};
  auto h = handlers().by_op.find(route->op_id);
  if (h != handlers().by_op.end()) {
    // A handler that trips over a shape it did not expect answers 500, as a server would;
    // the simulator's threads never see the exception.
    try {
      if (h->second->writes) {
        std::unique_lock lock(mutex_);
        return h->second->fn(*world_, req);
      }
      std::shared_lock lock(mutex_);
      return h->second->fn(*world_, req);
    } catch (const std::exception& e) {
      return error(500, std::string("Internal error of the simulator in ") + std::string(route->op_id) + ": " + e.what(),
                   "internal_server_error");
    }
  }
  // Not modelled: the document's own example or a value built from its schema.
  api_response out{route->status, make_body(std::string(generated_sample(route->sample))), true};
  out.content_type = route->media.empty() ? std::string_view("application/json") : route->media;
  out.not_modelled = true;
  return out;
}

// ---------------------------------------------------------------------------
// Seeding.

void api_state::seed(std::string_view json_text) {
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec || !v.is_object()) throw std::invalid_argument("aiven-sim: the seed is not a JSON object");
  const json::array* projects = nullptr;
  if (auto p = v.as_object().if_contains("projects")) projects = p->if_array();
  if (projects == nullptr) throw std::invalid_argument("aiven-sim: the seed has no \"projects\" array");
  for (const auto& pv : *projects) {
    const json::object* po = pv.if_object();
    if (po == nullptr || !po->contains("project_name") || !po->at("project_name").is_string())
      throw std::invalid_argument("aiven-sim: every seeded project needs a \"project_name\"");
    std::string name(po->at("project_name").as_string());
    std::string cloud = "google-europe-west1";
    string_member(*po, "default_cloud", cloud);
    {
      std::unique_lock lock(mutex_);
      world_->add_project(name, cloud, "USD", tags_of(*po));
    }
    const json::array* services = nullptr;
    if (auto s = po->if_contains("services")) services = s->if_array();
    if (services == nullptr) continue;
    for (const auto& sv : *services) {
      if (!sv.is_object()) throw std::invalid_argument("aiven-sim: a seeded service is not an object");
      json::object so = sv.get_object();
      std::string state = "RUNNING";
      if (auto st = so.if_contains("state"); st && st->is_string()) state = std::string(st->get_string());
      so.erase("state");
      // "log_entries": N more entries in the service's log (to page through more than 500).
      std::size_t log_entries = 0;
      if (auto le = so.if_contains("log_entries"); le && le->is_int64() && le->get_int64() > 0)
        log_entries = static_cast<std::size_t>(le->get_int64());
      so.erase("log_entries");
      so.emplace("plan", "startup-4");
      api_response r = handle("POST", "/v1/project/" + name + "/service", json::serialize(so), true);
      if (r.status != 200) throw std::invalid_argument("aiven-sim: seeded service refused: " + *r.body);
      // Seeded services start in their final state.
      std::unique_lock lock(mutex_);
      service_rec& s = *world_->projects.at(name)->services.at(std::string(so.at("service_name").as_string()));
      s.created = s.rebuild_start = steady::time_point{};
      if (state == "POWEROFF") s.powered = false;
      append_logs(s, log_entries);
      s.refresh_bodies(world_->ca_pem);
    }
  }
}

}  // namespace aiven::sim::detail
