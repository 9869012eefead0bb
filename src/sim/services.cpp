// Services: the service object (one small builder per part of it) and the service routes,
// with the lifecycle REBUILDING/REBALANCING -> RUNNING and POWEROFF.
#include "sim/clouds.hpp"
#include "sim/records.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>

namespace aiven::sim::detail {

namespace json = boost::json;

namespace {

constexpr std::string_view service_prefix = R"({"service":)";

// Per service type: what the API reports about it.
struct type_info {
  const char* description;
  const char* scheme;  // of service_uri; "" for a bare host:port
  const char* user;
  const char* database;
  std::array<const char*, 4> components;  // the first one is the main component
};

type_info describe_type(std::string_view type) {
  if (type == "pg")
    return {"PostgreSQL - Object-Relational Database Management System", "postgres", "avnadmin", "defaultdb",
            {"pg", "pgbouncer", "prometheus", nullptr}};
  if (type == "mysql")
    return {"MySQL - Relational Database Management System", "mysql", "avnadmin", "defaultdb",
            {"mysql", "mysqlx", "prometheus", nullptr}};
  if (type == "kafka")
    return {"Kafka - High-Throughput Distributed Messaging System", "", "avnadmin", "",
            {"kafka", "schema_registry", "kafka_rest", "prometheus"}};
  if (type == "opensearch")
    return {"OpenSearch - Search & Analyze Data in Real Time", "https", "avnadmin", "",
            {"opensearch", "opensearch_dashboards", "prometheus", nullptr}};
  if (type == "valkey" || type == "redis")
    return {"Valkey - In-Memory Data Store", "rediss", "default", "", {"valkey", "prometheus", nullptr, nullptr}};
  if (type == "grafana")
    return {"Grafana - Metrics Dashboard", "https", "avnadmin", "", {"grafana", nullptr, nullptr, nullptr}};
  if (type == "clickhouse")
    return {"ClickHouse - Fully Managed Column-Oriented OLAP Database", "https", "avnadmin", "",
            {"clickhouse", "clickhouse_https", "prometheus", nullptr}};
  return {"Managed service", "https", "avnadmin", "", {nullptr, "prometheus", nullptr, nullptr}};
}

// "startup-4" -> 1 node, "business-8" -> 2, "premium-16" -> 3.
int plan_nodes(std::string_view plan) {
  if (plan.starts_with("business")) return 2;
  if (plan.starts_with("premium")) return 3;
  return 1;
}

json::object tags_json(const std::map<std::string, std::string>& tags) {
  json::object o;
  for (const auto& [k, v] : tags) o[k] = v;
  return o;
}

// What every part of the service object is derived from.
struct service_view {
  const service_rec& s;
  type_info t;
  std::string seed, password, host, port_s, main_component, uri;
  int port, nodes;
  bool running;
  std::string_view state;

  service_view(const service_rec& rec, std::string_view st) : s(rec), t(describe_type(rec.type)), state(st) {
    seed = s.project + "/" + s.name;
    password = primary_password();
    host = host_label(s.name) + "-" + host_label(s.project) + ".g.aivencloud.com";
    port = 10000 + static_cast<int>(fnv1a(seed) % 20000);
    port_s = std::to_string(port);
    running = state == "RUNNING" || state == "REBALANCING";
    nodes = plan_nodes(s.plan);
    main_component = t.components[0] != nullptr ? t.components[0] : s.type;
    uri = make_uri(t.user, password, first_database());
  }

  std::string primary_password() const {
    auto users = s.sub.find("users");
    if (users != s.sub.end())
      if (auto it = users->second.find(t.user); it != users->second.end())
        if (auto p = it->second.data.if_contains("password"); p && p->is_string()) return std::string(p->get_string());
    return "AVNS_" + pseudo_secret(seed, 20);
  }
  std::string first_database() const {
    if (*t.database == '\0') return "";
    auto dbs = s.sub.find("databases");
    if (dbs == s.sub.end() || dbs->second.empty()) return t.database;
    return dbs->second.count(t.database) ? std::string(t.database) : dbs->second.begin()->first;
  }
  std::string make_uri(std::string_view user, std::string_view pw, std::string_view db) const {
    if (*t.scheme == '\0') return host + ":" + port_s;
    std::string u = std::string(t.scheme) + "://" + std::string(user) + ":" + std::string(pw) + "@" + host + ":" + port_s;
    if (!db.empty()) u += "/" + std::string(db);
    if (s.type == "pg") u += "?sslmode=require";
    if (s.type == "mysql") u += "?ssl-mode=REQUIRED";
    return u;
  }
};

json::array components_json(const service_view& v) {
  json::array components;
  for (std::size_t i = 0; i < v.t.components.size(); ++i) {
    const char* c = i == 0 ? v.main_component.c_str() : v.t.components[i];
    if (c == nullptr) continue;
    // Each component is reachable by the dynamic route and the private one.
    for (const char* route : {"dynamic", "private"}) {
      const bool priv = std::string_view(route) == "private";
      json::object comp{{"component", c},
                        {"host", priv ? "private-" + v.host : v.host},
                        {"port", std::string_view(c) == "prometheus" ? 9273 : v.port + static_cast<int>(i)},
                        {"route", route},
                        {"usage", "primary"},
                        {"ssl", true}};
      if (std::string_view(c) == "kafka") {
        comp["kafka_authentication_method"] = "certificate";
        comp["kafka_ssl_ca"] = "project_ca";
      }
      components.push_back(std::move(comp));
    }
  }
  return components;
}

json::object connection_info_json(const service_view& v) {
  const std::string& type = v.s.type;
  json::object ci;
  if (type == "pg" || type == "mysql") {
    ci[type] = json::array{v.uri};
    ci[type + "_params"] = json::array{json::object{{"dbname", v.first_database()},
                                                    {"host", v.host},
                                                    {"password", v.password},
                                                    {"port", v.port_s},
                                                    {type == "pg" ? "sslmode" : "ssl-mode", type == "pg" ? "require" : "REQUIRED"},
                                                    {"user", v.t.user}}};
    json::array standby;
    if (v.nodes > 1)
      standby.emplace_back(v.uri.substr(0, v.uri.find('@') + 1) + "replica-" + v.uri.substr(v.uri.find('@') + 1));
    ci[type + "_standby"] = std::move(standby);
    if (type == "pg") ci["pg_syncing"] = json::array{};
  } else if (type == "kafka") {
    ci["kafka"] = json::array{v.uri};
    ci["schema_registry_uri"] = "https://avnadmin:" + v.password + "@" + v.host + ":" + std::to_string(v.port + 1);
    ci["kafka_rest_uri"] = "https://avnadmin:" + v.password + "@" + v.host + ":" + std::to_string(v.port + 2);
  } else if (type == "opensearch") {
    ci["opensearch"] = json::array{v.uri};
    ci["opensearch_username"] = "avnadmin";
    ci["opensearch_password"] = v.password;
    ci["opensearch_dashboards_uri"] = "https://avnadmin:" + v.password + "@" + v.host + ":443";
  } else if (type == "valkey" || type == "redis") {
    ci[type] = json::array{v.uri};
    ci[type + "_password"] = v.password;
    ci[type + "_slave"] = json::array{};
  } else {
    ci[v.main_component] = json::array{v.uri};
  }
  return ci;
}

json::array node_states_json(const service_view& v) {
  static constexpr const char* zones[] = {"a", "b", "c"};
  json::array out;
  const bool off = v.state == "POWEROFF";
  for (int i = 0; i < v.nodes; ++i) {
    json::object n{{"availability_zone", v.s.cloud + "-" + zones[i % 3]},
                   {"name", v.s.name + "-" + std::to_string(i + 1)},
                   {"role", i == 0 ? "master" : "standby"},
                   {"state", v.running ? "running" : (off ? "leaving" : "setting_up_vm")}};
    if (!v.running && !off) {
      n["progress_updates"] = json::array{
          json::object{{"completed", true}, {"phase", "prepare"}},
          json::object{{"completed", false}, {"current", 0}, {"max", 100}, {"min", 0}, {"phase", "basebackup"},
                       {"unit", "bytes_uncompressed"}},
          json::object{{"completed", false}, {"phase", "finalize"}}};
    }
    out.push_back(std::move(n));
  }
  return out;
}

json::array backups_json(const service_view& v) {
  json::array backups;
  if (!v.running) return backups;
  for (int i = 0; i < 4; ++i) {
    backups.push_back(json::object{{"backup_name", "backup-" + v.s.create_time.substr(0, 10) + "_" + std::to_string(i)},
                                   {"backup_time", v.s.create_time},
                                   {"data_size", 36700160 + 1048576 * i},
                                   {"incremental", i > 0},
                                   {"storage_location", "s3://" + v.s.cloud + "-backups/" + host_label(v.s.project)}});
  }
  return backups;
}

// The API returns the whole configuration, defaults included.
json::object user_config_json(const service_view& v) {
  const std::string& type = v.s.type;
  json::object config{{"ip_filter", json::array{"0.0.0.0/0", "::/0"}},
                      {"service_log", false},
                      {"static_ips", false},
                      {"backup_hour", static_cast<int>(fnv1a(v.seed) % 24)},
                      {"backup_minute", static_cast<int>(fnv1a(v.seed) % 60)}};
  json::object access{{"prometheus", false}};
  for (const char* c : v.t.components)
    if (c != nullptr && std::string_view(c) != "prometheus") access[c] = false;
  config["public_access"] = access;
  config["private_access"] = access;
  config["privatelink_access"] = access;
  if (type == "pg") {
    config["pg_version"] = "16";
    config["pg"] = json::object{{"idle_in_transaction_session_timeout", 0}, {"jit", false},
                                {"log_min_duration_statement", -1},         {"max_connections", 100 * v.nodes},
                                {"max_parallel_workers", 8},                {"timezone", "UTC"},
                                {"track_io_timing", "off"}};
    config["pgbouncer"] = json::object{{"autodb_pool_mode", "transaction"},
                                       {"autodb_pool_size", 0},
                                       {"server_idle_timeout", 600},
                                       {"server_reset_query_always", false}};
    config["pglookout"] = json::object{{"max_failover_replication_time_lag", 60}};
    config["shared_buffers_percentage"] = 20;
    config["synchronous_replication"] = "off";
    config["work_mem"] = 4;
  } else if (type == "mysql") {
    config["mysql_version"] = "8";
    config["mysql"] = json::object{{"sql_mode", "ANSI,TRADITIONAL"}, {"sql_require_primary_key", true}};
  } else if (type == "kafka") {
    config["kafka_version"] = "3.8";
    config["kafka"] = json::object{{"auto_create_topics_enable", false},
                                   {"default_replication_factor", 3},
                                   {"log_retention_hours", 168},
                                   {"num_partitions", 3}};
    config["kafka_rest"] = true;
    config["schema_registry"] = true;
    config["kafka_connect"] = false;
  } else if (type == "opensearch") {
    config["opensearch_version"] = "2";
    config["opensearch"] = json::object{{"action_auto_create_index_enabled", true}};
  } else if (type == "valkey" || type == "redis") {
    config[type + "_maxmemory_policy"] = "noeviction";
    config[type + "_persistence"] = "rdb";
  }
  for (const auto& kv : v.s.user_config) config[kv.key()] = kv.value();
  return config;
}

template <class F>
json::array collection_json(const service_rec& s, std::string_view name, F&& each) {
  json::array out;
  auto it = s.sub.find(name);
  if (it == s.sub.end()) return out;
  for (const auto& [id, rec] : it->second)
    if (rec.deleting == steady::time_point::max()) out.push_back(each(id, rec));
  return out;
}

json::array users_json(const service_view& v) {
  return collection_json(v.s, "users", [](const std::string&, const record& r) { return json::value(r.data); });
}

json::array databases_json(const service_view& v) {
  return collection_json(v.s, "databases", [](const std::string& id, const record&) { return json::value(id); });
}

json::array pools_json(const service_view& v) {
  return collection_json(v.s, "connection_pools", [&](const std::string& id, const record& r) {
    json::object p = r.data;
    std::string user = p.contains("username") ? std::string(p.at("username").as_string()) : std::string(v.t.user);
    p["connection_uri"] = "postgres://" + user + ":" + v.password + "@" + v.host + ":" + std::to_string(v.port + 1) +
                          "/" + id + "?sslmode=require";
    return json::value(std::move(p));
  });
}

json::object maintenance_json() {
  json::array updates{
      json::object{{"deadline", ""},
                   {"description", "Update to the latest maintenance release"},
                   {"documentation_link", "https://aiven.io/docs/platform/concepts/maintenance-window"},
                   {"impact", "The service is restarted, which interrupts open connections"},
                   {"start_after", ""}},
      json::object{{"deadline", ""},
                   {"description", "Operating system security updates"},
                   {"impact", "Nodes are replaced one at a time"},
                   {"start_after", ""}}};
  return json::object{{"dow", "sunday"}, {"enabled", true}, {"time", "04:00:00"}, {"updates", std::move(updates)}};
}

json::object uri_params_json(const service_view& v) {
  json::object p{{"host", v.host}, {"port", v.port_s}, {"password", v.password}, {"user", v.t.user}};
  if (*v.t.database != '\0') p["dbname"] = v.first_database();
  if (v.s.type == "pg") p["sslmode"] = "require";
  return p;
}

void add_kafka_parts(const service_view& v, json::object& o) {
  o["acl"] = collection_json(v.s, "acl", [](const std::string&, const record& r) { return json::value(r.data); });
  o["topics"] = collection_json(v.s, "topics", [](const std::string& id, const record& r) {
    json::object t{{"topic_name", id}};
    for (const char* k : {"partitions", "replication", "retention_hours", "retention_bytes", "cleanup_policy",
                          "min_insync_replicas"})
      if (auto x = r.data.if_contains(k)) t[k] = *x;
    t["state"] = "ACTIVE";
    return json::value(std::move(t));
  });
}

}  // namespace

json::object service_rec::to_json(std::string_view state, std::string_view) const {
  const service_view v(*this, state);
  json::object o{
      {"backups", backups_json(v)},
      {"cloud_description", cloud_description(cloud)},
      {"cloud_name", cloud},
      {"components", components_json(v)},
      {"connection_info", connection_info_json(v)},
      {"connection_pools", pools_json(v)},
      {"create_time", create_time},
      {"databases", databases_json(v)},
      {"disk_space_mb", disk_space_mb},
      {"features", json::object{{"enhanced_logging", true}, {"service_integrations", true}}},
      {"group_list", json::array{"default"}},
      {"is_cluster_plan", v.nodes > 1},
      {"maintenance", maintenance_json()},
      {"metadata", json::object{{"max_connections", 100 * v.nodes}, {"service_version", "1.0"}}},
      {"node_count", v.nodes},
      {"node_cpu_count", 2},
      {"node_memory_mb", 4096.0},
      {"node_states", node_states_json(v)},
      {"plan", plan},
      {"project_vpc_id", project_vpc_id},
      {"server_group", json::object{{"enabled", false}, {"type", "spread"}}},
      {"service_integrations", json::array{}},
      {"service_name", name},
      {"service_notifications", json::array{}},
      {"service_type", type},
      {"service_type_description", v.t.description},
      {"service_uri", v.uri},
      {"service_uri_params", uri_params_json(v)},
      {"state", state},
      {"tags", tags_json(tags)},
      {"tech_emails", json::array{}},
      {"termination_protection", termination_protection},
      {"update_time", update_time},
      {"user_config", user_config_json(v)},
      {"users", users_json(v)},
  };
  if (type == "kafka") add_kafka_parts(v, o);
  return o;
}

void service_rec::refresh_bodies(std::string_view ca_pem) {
  auto build = [&](std::string_view state) {
    std::string s(service_prefix);
    s += json::serialize(to_json(state, ca_pem));
    s += '}';
    return make_body(std::move(s));
  };
  if (powered) {
    body_transition = build(transition);
    body_running = build("RUNNING");
    body_poweroff.reset();
  } else {
    body_poweroff = build("POWEROFF");
    body_transition.reset();
    body_running.reset();
  }
}

namespace {

const body_ptr& service_body(const world& w, const service_rec& s, steady::time_point now) {
  if (!s.powered) return s.body_poweroff;
  return now - s.rebuild_start >= w.ready_delay() ? s.body_running : s.body_transition;
}

// The primary user and, for a SQL service, its default database exist from the start.
void add_defaults(service_rec& s, steady::time_point now) {
  const type_info t = describe_type(s.type);
  json::object u{{"username", t.user}, {"password", "AVNS_" + pseudo_secret(s.project + "/" + s.name, 20)},
                 {"type", "primary"}};
  if (s.type == "pg") {
    u["password_encryption_type"] = "scram-sha-256";
    u["password_updated_time"] = s.create_time;
  }
  if (s.type == "kafka") {
    u["access_cert"] = pseudo_pem("CERTIFICATE", s.name + "/" + t.user);
    u["access_key"] = pseudo_pem("PRIVATE KEY", s.name + "/" + t.user + "/key");
    u["access_cert_not_valid_after_time"] = "2035-01-01T00:00:00Z";
  }
  // Every family's collection exists from the start: readers look them up under a shared lock.
  for (const char* c : {"users", "databases", "connection_pools", "topics", "acl", "subjects"}) s.coll(c);
  s.coll("users")[t.user] = record{std::move(u), steady::time_point{}};
  append_logs(s, 3);  // a new service has a few log lines
  if (*t.database != '\0') s.coll("databases")[t.database] = record{json::object{{"database_name", t.database}}, now};
}

api_response service_list(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  std::vector<body_ptr> bodies;
  bodies.reserve(p->services.size());
  for (const auto& [name, s] : p->services)
    if (r.now - s->created >= w.consistency_delay()) bodies.push_back(service_body(w, *s, r.now));
  // Each cached body is {"service":OBJ}: the list is made of the OBJ parts.
  std::size_t total = 16;
  for (const auto& b : bodies) total += b->size();
  std::string out;
  out.reserve(total);
  out += R"({"services":[)";
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    if (i != 0) out += ',';
    const std::string& b = *bodies[i];
    out.append(b, service_prefix.size(), b.size() - service_prefix.size() - 1);
  }
  out += "]}";
  return ok(std::move(out));
}

bool str(const json::object& o, std::string_view key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return false;
  out = std::string(it->value().get_string());
  return true;
}

api_response service_create(world& w, const request& r) {
  const json::object& o = r.body.as_object();
  auto s = std::make_unique<service_rec>();
  str(o, "plan", s->plan);
  str(o, "service_name", s->name);
  str(o, "service_type", s->type);
  if (s->name.empty() || s->plan.empty() || s->type.empty())
    return error(400, "Invalid input: plan, service_name and service_type must be non-empty strings", "bad_request");
  str(o, "cloud", s->cloud);  // null or absent: the project's default cloud
  str(o, "project_vpc_id", s->project_vpc_id);
  if (auto it = o.find("termination_protection"); it != o.end() && it->value().is_bool())
    s->termination_protection = it->value().get_bool();
  if (auto t = o.if_contains("tags"); t && t->is_object())
    for (const auto& kv : t->get_object())
      if (kv.value().is_string()) s->tags[std::string(kv.key())] = std::string(kv.value().get_string());
  if (auto uc = o.if_contains("user_config"); uc && uc->is_object()) s->user_config = uc->get_object();
  s->disk_space_mb = 81920;
  if (auto d = o.if_contains("disk_space_mb"); d && d->is_number()) s->disk_space_mb = d->to_number<std::int64_t>();

  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  if (p->services.count(s->name) != 0)
    return error(409, "Service name is already in use in this project");
  if (s->cloud.empty()) s->cloud = p->default_cloud;
  s->project = p->name;
  s->create_time = s->update_time = now_time();
  s->created = s->rebuild_start = r.now;
  add_defaults(*s, r.now);
  // Serializing under the lock keeps the record and its bodies consistent;
  // it happens once per change, never per read.
  s->refresh_bodies(w.ca_pem);
  body_ptr b = s->body_transition;
  std::string name = s->name;
  p->services.emplace(std::move(name), std::move(s));
  return {200, std::move(b), true};
}

api_response service_get(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  return s ? api_response{200, service_body(w, *s, r.now), true} : err;
}

api_response service_update(world& w, const request& r) {
  api_response err;
  service_rec* sp = find_service(w, r, err);
  if (sp == nullptr) return err;
  service_rec& s = *sp;
  const json::object& o = r.body.as_object();
  std::string plan, cloud;
  str(o, "plan", plan);
  str(o, "cloud", cloud);
  auto flag = [&](std::string_view key) -> std::optional<bool> {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_bool()) return std::nullopt;
    return it->value().get_bool();
  };
  auto powered = flag("powered");
  auto protection = flag("termination_protection");
  // Kafka moves partitions to a new plan while serving (REBALANCING); other changes of plan
  // or cloud, and powering on, rebuild the nodes (REBUILDING).
  const bool new_plan = !plan.empty() && plan != s.plan, new_cloud = !cloud.empty() && cloud != s.cloud;
  const bool power_on = powered && *powered && !s.powered;
  if (new_plan || new_cloud || power_on) {
    s.transition = s.type == "kafka" && new_plan && !new_cloud && s.powered ? "REBALANCING" : "REBUILDING";
    s.rebuild_start = r.now;
  }
  if (!plan.empty()) s.plan = plan;
  if (!cloud.empty()) s.cloud = cloud;
  if (powered) s.powered = *powered;
  if (protection) s.termination_protection = *protection;
  str(o, "project_vpc_id", s.project_vpc_id);
  if (auto uc = o.if_contains("user_config"); uc && uc->is_object()) {
    // Partial update, as the API does it: given keys replace, null removes.
    for (const auto& kv : uc->get_object()) {
      if (kv.value().is_null())
        s.user_config.erase(kv.key());
      else
        s.user_config[kv.key()] = kv.value();
    }
  }
  s.update_time = now_time();
  s.refresh_bodies(w.ca_pem);
  return {200, service_body(w, s, r.now), true};
}

api_response service_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  if (s->termination_protection)
    return error(403, "Service is protected against termination and shutdown. Remove termination protection first.");
  w.projects.at(r.param("project"))->services.erase(r.param("service_name"));
  return ok(R"({"message":"Service deleted"})");
}

constexpr handler_entry table[] = {
    {"ServiceList", service_list, false},     {"ServiceCreate", service_create, true},
    {"ServiceGet", service_get, false},       {"ServiceUpdate", service_update, true},
    {"ServiceDelete", service_delete, true},
};

}  // namespace

std::span<const handler_entry> service_handlers() { return table; }

}  // namespace aiven::sim::detail
