// What clients read before they change anything: service types (with a user_config_schema
// per type), clouds, service versions, the current user, the project CA; and the two paged
// lists (a cursor with `after`/`next`, and `limit`/`offset`, with the API's page size limit
// of 250).
#include "sim/records.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdio>
#include <vector>

namespace aiven::sim::detail {

namespace json = boost::json;

namespace {

struct type_versions {
  std::string_view type, description;
  std::vector<std::string_view> versions;  // newest first
};

const type_versions* versions_of(std::string_view type) {
  static const std::vector<type_versions> table = {
      {"pg", "PostgreSQL - Object-Relational Database Management System", {"17", "16", "15", "14", "13"}},
      {"mysql", "MySQL - Relational Database Management System", {"8"}},
      {"kafka", "Kafka - High-Throughput Distributed Messaging System", {"3.9", "3.8", "3.7"}},
      {"opensearch", "OpenSearch - Search & Analyze Data in Real Time", {"2", "1"}},
      {"valkey", "Valkey - In-Memory Data Store", {"8", "7.2"}},
      {"grafana", "Grafana - Metrics Dashboard", {"10"}},
      {"clickhouse", "ClickHouse - Fully Managed Column-Oriented OLAP Database", {"24.8", "24.3"}},
      {"flink", "Flink - Distributed Stream Processing", {"1.20", "1.19"}},
      {"kafka_connect", "Kafka Connect - Managed connectors for Kafka", {}},
      {"kafka_mirrormaker", "Kafka MirrorMaker - Replication between Kafka clusters", {}},
      {"dragonfly", "Dragonfly - In-Memory Data Store", {"1.2"}},
  };
  for (const auto& t : table)
    if (t.type == type) return &t;
  return nullptr;
}

// A JSON schema of the configuration a type accepts, in the shape clients read it
// (`avn service create -c KEY=VALUE` looks each key up here).
json::object user_config_schema(std::string_view type) {
  json::object props{
      {"ip_filter", json::object{{"type", json::array{"array"}},
                                 {"title", "IP filter"},
                                 {"items", json::object{{"type", "string"}, {"title", "CIDR address block"}}},
                                 {"maxItems", 1024},
                                 {"default", json::array{"0.0.0.0/0"}}}},
      {"service_log", json::object{{"type", json::array{"boolean", "null"}}, {"title", "Service logging"}}},
      {"static_ips", json::object{{"type", "boolean"}, {"title", "Static IP addresses"}}},
      {"backup_hour", json::object{{"type", json::array{"integer", "null"}}, {"minimum", 0}, {"maximum", 23},
                                   {"title", "The hour of day (in UTC) when backup for the service is started"}}},
      {"backup_minute", json::object{{"type", json::array{"integer", "null"}}, {"minimum", 0}, {"maximum", 59},
                                     {"title", "The minute of an hour when backup for the service is started"}}},
      {"public_access", json::object{{"type", "object"},
                                     {"title", "Allow access to selected service ports from the public Internet"},
                                     {"properties", json::object{{std::string(type), json::object{{"type", "boolean"}}},
                                                                 {"prometheus", json::object{{"type", "boolean"}}}}}}},
  };
  if (const type_versions* t = versions_of(type); t && t->versions.size() != 0) {
    json::array e;
    for (auto v : t->versions) e.push_back(json::value(v));
    e.push_back(nullptr);
    props[std::string(type) + "_version"] =
        json::object{{"type", json::array{"string", "null"}}, {"enum", std::move(e)}, {"title", "Service version"}};
  }
  if (type == "pg")
    props["pg"] = json::object{{"type", "object"},
                               {"title", "postgresql.conf configuration values"},
                               {"properties", json::object{{"max_connections", json::object{{"type", "integer"}, {"minimum", 25}}},
                                                           {"timezone", json::object{{"type", "string"}}},
                                                           {"jit", json::object{{"type", "boolean"}}}}}};
  if (type == "kafka") {
    props["kafka"] = json::object{{"type", "object"},
                                  {"title", "Kafka broker configuration values"},
                                  {"properties", json::object{{"auto_create_topics_enable", json::object{{"type", "boolean"}}},
                                                              {"num_partitions", json::object{{"type", "integer"}}}}}};
    props["kafka_rest"] = json::object{{"type", "boolean"}, {"title", "Enable Kafka-REST service"}};
    props["schema_registry"] = json::object{{"type", "boolean"}, {"title", "Enable Schema-Registry service"}};
  }
  return json::object{{"type", "object"},
                      {"title", std::string(type) + " user configuration"},
                      {"additionalProperties", false},
                      {"properties", std::move(props)}};
}

void fill_type(std::string_view type, json::object& o) {
  const type_versions* t = versions_of(type);
  o["description"] = t ? t->description : "Managed service";
  std::string_view latest = t && t->versions.size() ? *t->versions.begin() : std::string_view();
  o["default_version"] = latest;
  o["latest_available_version"] = latest;
  o["user_config_schema"] = user_config_schema(type);
  if (auto plans = o.if_contains("service_plans"); plans && plans->is_array() && !plans->as_array().empty()) {
    json::object templ = plans->as_array()[0].as_object();
    json::array out;
    for (auto [plan, nodes] : {std::pair{"hobbyist", 1}, {"startup-4", 1}, {"business-4", 2}, {"premium-4", 3}}) {
      json::object p = templ;
      p["service_plan"] = plan;
      p["service_type"] = type;
      p["node_count"] = nodes;
      p["is_cluster_plan"] = nodes > 1;
      out.push_back(std::move(p));
    }
    o["service_plans"] = std::move(out);
  }
}

api_response service_types(world&, const request& r) {
  json::value v = json::parse(generated_sample(r.route.sample));
  if (auto st = v.as_object().if_contains("service_types"); st && st->is_object())
    for (auto& kv : st->as_object())
      if (kv.value().is_object()) fill_type(kv.key(), kv.value().as_object());
  v.as_object().erase("message");
  return ok_json(v);
}

api_response service_type_get(world& w, const request& r) {
  api_response err;
  if (find_project(w, r, err) == nullptr) return err;
  const std::string& type = r.param("service_type");
  if (versions_of(type) == nullptr)
    return error(404, "Service type '" + type + "' does not exist", "invalid_service_type");
  json::value v = json::parse(generated_sample(r.route.sample));
  fill_type(type, v.as_object());
  v.as_object().erase("message");
  return ok_json(v);
}

api_response clouds(world& w, const request&) { return {200, w.clouds_body, true}; }

api_response project_clouds(world& w, const request& r) {
  api_response err;
  if (find_project(w, r, err) == nullptr) return err;
  return {200, w.clouds_body, true};
}

api_response service_versions(world&, const request&) {
  json::array out;
  for (std::string_view type : {"pg", "mysql", "kafka", "opensearch", "valkey", "grafana", "clickhouse", "flink"}) {
    const type_versions* t = versions_of(type);
    for (auto v : t->versions)
      out.push_back(json::object{{"service_type", type},
                                 {"major_version", v},
                                 {"state", "available"},
                                 {"availability_start_time", "2024-01-01T00:00:00Z"},
                                 {"availability_end_time", "2035-01-01T00:00:00Z"},
                                 {"aiven_end_of_life_time", "2035-01-01T00:00:00Z"},
                                 {"upstream_end_of_life_time", "2035-01-01T00:00:00Z"},
                                 {"termination_time", "2035-06-01T00:00:00Z"},
                                 {"end_of_life_help_article_url", "https://aiven.io/docs/platform/reference/eol-for-major-versions"},
                                 {"upgrade_to_service_type", type},
                                 {"upgrade_to_version", *t->versions.begin()}});
  }
  return ok_json(json::object{{"service_versions", std::move(out)}});
}

api_response me(world& w, const request& r) {
  json::array projects;
  json::object membership, memberships;
  for (const auto& [name, p] : w.projects) {
    projects.push_back(json::value(name));
    membership[name] = "admin";
    memberships[name] = json::array{"admin"};
  }
  json::value v = json::parse(generated_sample(r.route.sample));
  json::object& u = v.as_object()["user"].as_object();
  u["user"] = "sim-user@example.com";
  u["real_name"] = "Simulated User";
  u["user_id"] = "u" + pseudo_hex("user", 11);
  u["state"] = "active";
  u["tenant"] = "aiven";
  u["auth"] = json::array{"password"};
  u["invitations"] = json::array{};
  u["projects"] = std::move(projects);
  u["project_membership"] = std::move(membership);
  u["project_memberships"] = std::move(memberships);
  u["create_time"] = "2024-01-01T00:00:00Z";
  v.as_object().erase("message");
  return ok_json(v);
}

api_response project_ca(world& w, const request& r) {
  api_response err;
  if (find_project(w, r, err) == nullptr) return err;
  return ok_json(json::object{{"certificate", w.ca_pem}});
}

// ---- paged lists ----------------------------------------------------------

constexpr std::int64_t max_page = 250;
constexpr std::int64_t default_page = 100;

// The value of query parameter `name`, decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name, bool& bad) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string out;
    if (eq == std::string_view::npos) return out;
    if (!percent_decode(pair.substr(eq + 1), out)) bad = true;
    return out;
  }
  return std::nullopt;
}

// A non-negative integer parameter within [lo, hi]; `def` when absent.
bool int_param(std::string_view query, std::string_view name, std::int64_t def, std::int64_t lo, std::int64_t hi,
               std::int64_t& out, std::string& why) {
  bool bad = false;
  auto v = query_param(query, name, bad);
  out = def;
  if (!v) return true;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (bad || ec != std::errc{} || p != v->data() + v->size() || out < lo || out > hi) {
    why = std::string(name) + " must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
    return false;
  }
  return true;
}

std::string item_name(const char* prefix, std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06zu", prefix, i);
  return buf;
}

// The service's databases, or (with set_paged_items) that many generated ones.
api_response database_list(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  std::string why;
  std::int64_t page;
  if (!int_param(r.query, "maxItems", default_page, 1, max_page, page, why)) return error(400, why, "bad_request");
  bool bad = false;
  auto after = query_param(r.query, "after", bad);
  if (bad) return error(400, "Invalid percent-encoding in query", "bad_request");
  std::vector<json::object> all;
  if (std::size_t n = w.paged_items.load(); n != 0) {
    for (std::size_t i = 0; i < n; ++i)
      all.push_back(json::object{{"database_name", item_name("db-", i)}, {"lc_collate", "en_US.UTF-8"}});
  } else {
    for (const auto& [name, d] : s->coll("databases"))
      if (visible(w, d, r.now)) all.push_back(d.data);
  }
  // Names sort in list order, so "after" is a position.
  std::size_t start = 0;
  while (after && start < all.size() && all[start].at("database_name").as_string() <= *after) ++start;
  std::size_t end = std::min(all.size(), start + static_cast<std::size_t>(page));
  json::array list;
  for (std::size_t i = start; i < end; ++i) list.push_back(all[i]);
  json::object out{{"databases", std::move(list)}};
  if (end < all.size()) out["next"] = all[end - 1].at("database_name");
  return ok_json(out);
}

api_response clickhouse_stats(world& w, const request& r) {
  api_response err;
  if (find_service(w, r, err) == nullptr) return err;
  std::string why;
  std::int64_t limit, offset;
  if (!int_param(r.query, "limit", default_page, 1, max_page, limit, why)) return error(400, why, "bad_request");
  if (!int_param(r.query, "offset", 0, 0, 1'000'000'000, offset, why)) return error(400, why, "bad_request");
  const std::size_t total = w.paged_items.load();
  json::array list;
  for (std::size_t i = static_cast<std::size_t>(offset); i < total && i < static_cast<std::size_t>(offset + limit); ++i)
    list.push_back(json::object{{"query", "SELECT " + std::to_string(i)}, {"calls", static_cast<std::int64_t>(i + 1)},
                                {"database", "defaultdb"}});
  return ok_json(json::object{{"queries", std::move(list)}});
}

constexpr handler_entry table[] = {
    {"ListProjectServiceTypes", service_types, false},
    {"ListPublicServiceTypes", service_types, false},
    {"ProjectServiceTypesGet", service_type_get, false},
    {"ListClouds", clouds, false},
    {"ListProjectClouds", project_clouds, false},
    {"ListServiceVersions", service_versions, false},
    {"UserInfo", me, false},
    {"ProjectKmsGetCA", project_ca, false},
    {"ServiceDatabaseList", database_list, false},
    {"ServiceClickHouseQueryStats", clickhouse_stats, false},
};

}  // namespace

std::span<const handler_entry> catalog_handlers() { return table; }

}  // namespace aiven::sim::detail
