#include "sim/state.hpp"

#include "sim/clouds.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace aiven::sim::detail {

namespace json = boost::json;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view service_prefix = R"({"service":)";

body_ptr make_body(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

api_response error(unsigned status, std::string_view message, bool executed = true) {
  return {status, make_body(error_body(message, status)), executed};
}

api_response ok(std::string body) { return {200, make_body(std::move(body)), true}; }

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

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ull) {
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

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const json::object* as_object(const json::value& v) { return v.is_object() ? &v.get_object() : nullptr; }

// Parses a request body that must be a JSON object.
bool parse_object(std::string_view body, json::value& out) {
  boost::system::error_code ec;
  out = json::parse(body, ec);
  return !ec && out.is_object();
}

// Optional member of a given kind: false if present with another type.
bool optional_string(const json::object& o, std::string_view key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end()) return true;
  if (!it->value().is_string()) return false;
  out = std::string(it->value().get_string());
  return true;
}

bool optional_bool(const json::object& o, std::string_view key, bool& out, bool& present) {
  auto it = o.find(key);
  present = it != o.end();
  if (!present) return true;
  if (!it->value().is_bool()) return false;
  out = it->value().get_bool();
  return true;
}

bool optional_tags(const json::object& o, std::map<std::string, std::string>& out) {
  auto it = o.find("tags");
  if (it == o.end()) return true;
  if (!it->value().is_object()) return false;
  for (const auto& kv : it->value().get_object()) {
    if (!kv.value().is_string()) return false;
    out[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  return true;
}

json::object tags_json(const std::map<std::string, std::string>& tags) {
  json::object o;
  for (const auto& [k, v] : tags) o[k] = v;
  return o;
}

std::string invalid_field(std::string_view field, std::string_view expected) {
  return "Invalid input for " + std::string(field) + ": expected " + std::string(expected);
}

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

}  // namespace

std::string error_body(std::string_view message, unsigned status) {
  json::string m(message);
  std::string quoted = json::serialize(m);
  std::string s;
  s.reserve(2 * quoted.size() + 48);
  s += R"({"message":)";
  s += quoted;
  s += R"(,"errors":[{"message":)";
  s += quoted;
  s += R"(,"status":)";
  s += std::to_string(status);
  s += "}]}";
  return s;
}

bool percent_decode(std::string_view in, std::string& out) {
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

struct api_state::service_rec {
  std::string name, type, plan, cloud, project;
  json::object user_config;
  std::map<std::string, std::string> tags;
  bool termination_protection = false;
  bool powered = true;
  std::int64_t disk_space_mb = 0;
  steady::time_point rebuild_start;
  std::string create_time, update_time;
  // {"service":{...}} as it reads in each state; rebuilt on every change.
  body_ptr body_rebuilding, body_running, body_poweroff;

  json::object to_json(std::string_view state) const;
  void refresh_bodies() {
    auto build = [this](std::string_view state) {
      std::string s(service_prefix);
      s += json::serialize(to_json(state));
      s += '}';
      return make_body(std::move(s));
    };
    if (powered) {
      body_rebuilding = build("REBUILDING");
      body_running = build("RUNNING");
      body_poweroff.reset();
    } else {
      body_poweroff = build("POWEROFF");
      body_rebuilding.reset();
      body_running.reset();
    }
  }
};

struct api_state::project_rec {
  std::string name, default_cloud, currency, account_id, organization_id, billing_group_id;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::unique_ptr<service_rec>> services;
  json::object object;  // the ProjectOut object, also used in the list
  body_ptr body;        // {"project":{...}}

  void refresh() {
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
        {"state", ""},
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
};

json::object api_state::service_rec::to_json(std::string_view state) const {
  const type_info t = describe_type(type);
  const std::string seed = project + "/" + name;
  const std::string password = "AVNS_" + pseudo_secret(seed, 20);
  const std::string host = host_label(name) + "-" + host_label(project) + ".g.aivencloud.com";
  const int port = 10000 + static_cast<int>(fnv1a(seed) % 20000);
  const std::string port_s = std::to_string(port);
  const bool running = state == "RUNNING";
  const int nodes = plan_nodes(plan);
  const std::string main_component = t.components[0] != nullptr ? t.components[0] : type;

  std::string uri;
  if (*t.scheme == '\0') {
    uri = host + ":" + port_s;
  } else {
    uri = std::string(t.scheme) + "://" + t.user + ":" + password + "@" + host + ":" + port_s;
    if (*t.database != '\0') uri += std::string("/") + t.database;
    if (type == "pg") uri += "?sslmode=require";
    if (type == "mysql") uri += "?ssl-mode=REQUIRED";
  }

  json::array components;
  for (std::size_t i = 0; i < t.components.size(); ++i) {
    const char* c = i == 0 ? main_component.c_str() : t.components[i];
    if (c == nullptr) continue;
    // Each component is reachable by the dynamic route and the private one.
    for (const char* route : {"dynamic", "private"}) {
      const bool priv = std::string_view(route) == "private";
      json::object comp{{"component", c},
                        {"host", priv ? "private-" + host : host},
                        {"port", std::string_view(c) == "prometheus" ? 9273 : port + static_cast<int>(i)},
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

  json::object connection_info;
  if (type == "pg" || type == "mysql") {
    connection_info[type] = json::array{uri};
    connection_info[type + "_params"] = json::array{json::object{
        {"dbname", "defaultdb"},
        {"host", host},
        {"password", password},
        {"port", port_s},
        {type == "pg" ? "sslmode" : "ssl-mode", type == "pg" ? "require" : "REQUIRED"},
        {"user", "avnadmin"}}};
    json::array standby;
    if (nodes > 1) standby.emplace_back(uri.substr(0, uri.find('@') + 1) + "replica-" + uri.substr(uri.find('@') + 1));
    connection_info[type + "_standby"] = std::move(standby);
    if (type == "pg") connection_info["pg_syncing"] = json::array{};
  } else if (type == "kafka") {
    connection_info["kafka"] = json::array{uri};
    connection_info["schema_registry_uri"] = "https://avnadmin:" + password + "@" + host + ":" + std::to_string(port + 1);
    connection_info["kafka_rest_uri"] = "https://avnadmin:" + password + "@" + host + ":" + std::to_string(port + 2);
  } else if (type == "opensearch") {
    connection_info["opensearch"] = json::array{uri};
    connection_info["opensearch_username"] = "avnadmin";
    connection_info["opensearch_password"] = password;
    connection_info["opensearch_dashboards_uri"] = "https://avnadmin:" + password + "@" + host + ":443";
  } else if (type == "valkey" || type == "redis") {
    connection_info[type] = json::array{uri};
    connection_info[type + "_password"] = password;
    connection_info[type + "_slave"] = json::array{};
  } else {
    connection_info[main_component] = json::array{uri};
  }

  static constexpr const char* zones[] = {"a", "b", "c"};
  json::array node_states;
  for (int i = 0; i < nodes; ++i) {
    json::object n{{"availability_zone", cloud + "-" + zones[i % 3]},
                   {"name", name + "-" + std::to_string(i + 1)},
                   {"role", i == 0 ? "master" : "standby"},
                   {"state", running ? "running" : (state == "POWEROFF" ? "leaving" : "setting_up_vm")}};
    if (!running && state != "POWEROFF") {
      n["progress_updates"] = json::array{
          json::object{{"completed", true}, {"phase", "prepare"}},
          json::object{{"completed", false}, {"current", 0}, {"max", 100}, {"min", 0}, {"phase", "basebackup"},
                       {"unit", "bytes_uncompressed"}},
          json::object{{"completed", false}, {"phase", "finalize"}}};
    }
    node_states.push_back(std::move(n));
  }

  json::array backups;
  if (running) {
    for (int i = 0; i < 4; ++i) {
      backups.push_back(json::object{{"backup_name", "backup-" + create_time.substr(0, 10) + "_" + std::to_string(i)},
                                     {"backup_time", create_time},
                                     {"data_size", 36700160 + 1048576 * i},
                                     {"incremental", i > 0},
                                     {"storage_location", "s3://" + cloud + "-backups/" + host_label(project)}});
    }
  }

  json::object uri_params{{"host", host}, {"port", port_s}, {"password", password}, {"user", t.user}};
  if (*t.database != '\0') uri_params["dbname"] = t.database;
  if (type == "pg") uri_params["sslmode"] = "require";

  // The API returns the whole configuration, defaults included.
  json::object config{{"ip_filter", json::array{"0.0.0.0/0", "::/0"}},
                      {"service_log", false},
                      {"static_ips", false},
                      {"backup_hour", static_cast<int>(fnv1a(seed) % 24)},
                      {"backup_minute", static_cast<int>(fnv1a(seed) % 60)}};
  json::object access{{"prometheus", false}};
  for (const char* c : t.components)
    if (c != nullptr && std::string_view(c) != "prometheus") access[c] = false;
  config["public_access"] = access;
  config["private_access"] = access;
  config["privatelink_access"] = access;
  if (type == "pg") {
    config["pg_version"] = "16";
    config["pg"] = json::object{{"idle_in_transaction_session_timeout", 0},
                                {"jit", false},
                                {"log_min_duration_statement", -1},
                                {"max_connections", 100 * nodes},
                                {"max_parallel_workers", 8},
                                {"timezone", "UTC"},
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
  for (const auto& kv : user_config) config[kv.key()] = kv.value();

  json::array users;
  for (const char* user : {t.user, "app_reader", "app_writer"}) {
    const bool primary = std::string_view(user) == t.user;
    json::object u{{"username", user},
                   {"password", primary ? password : "AVNS_" + pseudo_secret(seed + user, 20)},
                   {"type", primary ? "primary" : "normal"}};
    if (type == "pg") {
      u["password_encryption_type"] = "scram-sha-256";
      u["password_updated_time"] = create_time;
    }
    users.push_back(std::move(u));
  }

  json::array pools;
  if (type == "pg") {
    pools.push_back(json::object{
        {"connection_uri", "postgres://avnadmin:" + password + "@" + host + ":" + std::to_string(port + 1) +
                               "/app-pool?sslmode=require"},
        {"database", "defaultdb"},
        {"pool_mode", "transaction"},
        {"pool_name", "app-pool"},
        {"pool_size", 20},
        {"username", "avnadmin"}});
  }

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

  json::object o{
      {"backups", std::move(backups)},
      {"cloud_description", cloud_description(cloud)},
      {"cloud_name", cloud},
      {"components", std::move(components)},
      {"connection_info", std::move(connection_info)},
      {"connection_pools", std::move(pools)},
      {"create_time", create_time},
      {"databases", *t.database != '\0' ? json::array{t.database} : json::array{}},
      {"disk_space_mb", disk_space_mb},
      {"features", json::object{{"enhanced_logging", true}, {"service_integrations", true}}},
      {"group_list", json::array{"default"}},
      {"is_cluster_plan", nodes > 1},
      {"maintenance",
       json::object{{"dow", "sunday"}, {"enabled", true}, {"time", "04:00:00"}, {"updates", std::move(updates)}}},
      {"metadata", json::object{{"max_connections", 100 * nodes}, {"service_version", "1.0"}}},
      {"node_count", nodes},
      {"node_cpu_count", 2},
      {"node_memory_mb", 4096.0},
      {"node_states", std::move(node_states)},
      {"plan", plan},
      {"project_vpc_id", ""},
      {"server_group", json::object{{"enabled", false}, {"type", "spread"}}},
      {"service_integrations", json::array{}},
      {"service_name", name},
      {"service_notifications", json::array{}},
      {"service_type", type},
      {"service_type_description", t.description},
      {"service_uri", uri},
      {"service_uri_params", std::move(uri_params)},
      {"state", state},
      {"tags", tags_json(tags)},
      {"tech_emails", json::array{}},
      {"termination_protection", termination_protection},
      {"update_time", update_time},
      {"user_config", std::move(config)},
      {"users", std::move(users)},
  };
  if (type == "kafka") {
    o["acl"] = json::array{json::object{{"id", "default"}, {"permission", "admin"}, {"topic", "*"}, {"username", "avnadmin"}}};
    o["topics"] = json::array{};
  }
  return o;
}

api_state::api_state(std::chrono::milliseconds service_ready_delay)
    : ready_delay_ms_(service_ready_delay.count()), clouds_body_(make_body(clouds_body())) {
  std::unique_lock lock(mutex_);
  add_project_locked("demo", "google-europe-west1", "USD", {});
}

api_state::~api_state() = default;

void api_state::add_project(const std::string& name) {
  std::unique_lock lock(mutex_);
  add_project_locked(name, "google-europe-west1", "USD", {});
}

void api_state::set_service_ready_delay(std::chrono::milliseconds d) { ready_delay_ms_.store(d.count()); }

bool api_state::add_project_locked(const std::string& name, const std::string& default_cloud,
                                   const std::string& currency, const std::map<std::string, std::string>& tags) {
  if (projects_.count(name) != 0) return false;
  auto p = std::make_unique<project_rec>();
  p->name = name;
  p->default_cloud = default_cloud;
  p->currency = currency;
  p->tags = tags;
  p->account_id = "a" + pseudo_hex("account", 11);
  p->organization_id = "org" + pseudo_hex("organization", 11);
  p->billing_group_id = pseudo_uuid("billing-group/" + std::to_string(next_project_serial_++));
  p->refresh();
  projects_.emplace(name, std::move(p));
  rebuild_project_list_locked();
  return true;
}

void api_state::rebuild_project_list_locked() {
  json::array list;
  json::object membership, memberships;
  for (const auto& [name, p] : projects_) {
    list.push_back(p->object);
    membership[name] = "admin";
    memberships[name] = json::array{"admin"};
  }
  project_list_body_ = make_body(json::serialize(json::object{
      {"projects", std::move(list)},
      {"project_membership", std::move(membership)},
      {"project_memberships", std::move(memberships)},
  }));
}

const body_ptr& api_state::service_body(const service_rec& s, steady::time_point now) const {
  if (!s.powered) return s.body_poweroff;
  auto delay = std::chrono::milliseconds(ready_delay_ms_.load(std::memory_order_relaxed));
  return now - s.rebuild_start >= delay ? s.body_running : s.body_rebuilding;
}

api_response api_state::handle(std::string_view method, std::string_view target, std::string_view body,
                               bool authorized) {
  if (auto paged = handle_paged(method, target, authorized)) return std::move(*paged);
  std::string_view path = target.substr(0, target.find('?'));
  // The longest route has five segments; anything longer is unknown.
  std::array<std::string, 6> seg;
  std::size_t n = 0;
  if (path.empty() || path.front() != '/') return error(404, "Not found", false);
  path.remove_prefix(1);
  while (true) {
    if (n == seg.size()) return authorized ? error(404, "Not found", false) : error(401, "Invalid token", false);
    auto slash = path.find('/');
    if (!percent_decode(path.substr(0, slash), seg[n])) return error(400, "Invalid percent-encoding in path", false);
    ++n;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  // Empty segments ("//", a trailing "/") name nothing.
  for (std::size_t i = 0; i < n; ++i)
    if (seg[i].empty()) return authorized ? error(404, "Not found", false) : error(401, "Invalid token", false);

  auto method_not_allowed = [] { return error(405, "Method not allowed", false); };
  if (n == 2 && seg[0] == "v1" && seg[1] == "clouds") {
    if (method != "GET") return method_not_allowed();
    return {200, clouds_body_, true};
  }
  if (!authorized) return error(401, "Invalid token", false);
  if (n < 2 || seg[0] != "v1" || seg[1] != "project") return error(404, "Not found", false);
  switch (n) {
    case 2:
      if (method == "GET") return list_projects();
      if (method == "POST") return create_project(body);
      return method_not_allowed();
    case 3:
      if (method == "GET") return get_project(seg[2]);
      if (method == "DELETE") return delete_project(seg[2]);
      return method_not_allowed();
    case 4:
      if (seg[3] != "service") return error(404, "Not found", false);
      if (method == "GET") return list_services(seg[2]);
      if (method == "POST") return create_service(seg[2], body);
      return method_not_allowed();
    case 5:
      if (seg[3] != "service") return error(404, "Not found", false);
      if (method == "GET") return get_service(seg[2], seg[4]);
      if (method == "PUT") return update_service(seg[2], seg[4], body);
      if (method == "DELETE") return delete_service(seg[2], seg[4]);
      return method_not_allowed();
    default:
      return error(404, "Not found", false);
  }
}

bool api_state::has_service(const std::string& project, const std::string& service) const {
  std::shared_lock lock(mutex_);
  auto it = projects_.find(project);
  return it != projects_.end() && it->second->services.count(service) != 0;
}

api_response api_state::list_projects() const {
  std::shared_lock lock(mutex_);
  return {200, project_list_body_, true};
}

api_response api_state::create_project(std::string_view body) {
  json::value v;
  if (!parse_object(body, v)) return error(400, "Invalid JSON in request body");
  const auto& o = v.get_object();
  auto it = o.find("project");
  if (it == o.end() || !it->value().is_string() || it->value().get_string().empty())
    return error(400, invalid_field("project", "a non-empty string"));
  std::string name(it->value().get_string());
  std::string cloud = "google-europe-west1", currency = "USD";
  std::map<std::string, std::string> tags;
  if (!optional_string(o, "cloud", cloud)) return error(400, invalid_field("cloud", "a string"));
  if (!optional_string(o, "billing_currency", currency)) return error(400, invalid_field("billing_currency", "a string"));
  if (!optional_tags(o, tags)) return error(400, invalid_field("tags", "an object of strings"));

  std::unique_lock lock(mutex_);
  if (!add_project_locked(name, cloud, currency, tags)) return error(409, "Project with this name already exists");
  return {200, projects_.at(name)->body, true};
}

api_response api_state::get_project(const std::string& project) const {
  std::shared_lock lock(mutex_);
  auto it = projects_.find(project);
  if (it == projects_.end()) return error(404, "Project does not exist");
  return {200, it->second->body, true};
}

api_response api_state::delete_project(const std::string& project) {
  std::unique_lock lock(mutex_);
  auto it = projects_.find(project);
  if (it == projects_.end()) return error(404, "Project does not exist");
  if (!it->second->services.empty()) return error(409, "Project has services, delete them first");
  projects_.erase(it);
  rebuild_project_list_locked();
  return ok(R"({"message":"deleted"})");
}

api_response api_state::list_services(const std::string& project) const {
  std::vector<body_ptr> bodies;
  {
    std::shared_lock lock(mutex_);
    auto it = projects_.find(project);
    if (it == projects_.end()) return error(404, "Project does not exist");
    const auto now = steady::now();
    bodies.reserve(it->second->services.size());
    for (const auto& [name, s] : it->second->services) bodies.push_back(service_body(*s, now));
  }
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

api_response api_state::create_service(const std::string& project, std::string_view body) {
  json::value v;
  if (!parse_object(body, v)) return error(400, "Invalid JSON in request body");
  const auto& o = v.get_object();
  auto s = std::make_unique<service_rec>();
  for (auto [field, out] : {std::pair{"plan", &s->plan}, {"service_name", &s->name}, {"service_type", &s->type}}) {
    auto it = o.find(field);
    if (it == o.end()) return error(400, std::string("Missing required field: ") + field);
    if (!it->value().is_string() || it->value().get_string().empty())
      return error(400, invalid_field(field, "a non-empty string"));
    *out = std::string(it->value().get_string());
  }
  bool present = false;
  if (!optional_string(o, "cloud", s->cloud)) return error(400, invalid_field("cloud", "a string"));
  if (!optional_bool(o, "termination_protection", s->termination_protection, present))
    return error(400, invalid_field("termination_protection", "a boolean"));
  if (!optional_tags(o, s->tags)) return error(400, invalid_field("tags", "an object of strings"));
  if (auto it = o.find("user_config"); it != o.end()) {
    const json::object* uc = as_object(it->value());
    if (uc == nullptr) return error(400, invalid_field("user_config", "an object"));
    s->user_config = *uc;
  }
  s->disk_space_mb = 81920;
  if (auto it = o.find("disk_space_mb"); it != o.end()) {
    if (!it->value().is_int64() && !it->value().is_uint64()) return error(400, invalid_field("disk_space_mb", "an integer"));
    s->disk_space_mb = it->value().to_number<std::int64_t>();
  }
  s->project = project;
  s->create_time = s->update_time = format_time(std::chrono::system_clock::now());

  std::unique_lock lock(mutex_);
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return error(404, "Project does not exist");
  auto& services = pit->second->services;
  if (services.count(s->name) != 0) return error(409, "Service name is already in use in this project");
  if (s->cloud.empty()) s->cloud = pit->second->default_cloud;
  s->rebuild_start = steady::now();
  // Serializing under the lock keeps the record and its bodies consistent;
  // it happens once per change, never per read.
  s->refresh_bodies();
  body_ptr b = s->body_rebuilding;
  std::string name = s->name;
  services.emplace(std::move(name), std::move(s));
  return {200, std::move(b), true};
}

api_response api_state::get_service(const std::string& project, const std::string& service) const {
  std::shared_lock lock(mutex_);
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return error(404, "Project does not exist");
  auto sit = pit->second->services.find(service);
  if (sit == pit->second->services.end()) return error(404, "Service does not exist");
  return {200, service_body(*sit->second, steady::now()), true};
}

api_response api_state::update_service(const std::string& project, const std::string& service, std::string_view body) {
  json::value v;
  if (!parse_object(body, v)) return error(400, "Invalid JSON in request body");
  const auto& o = v.get_object();
  std::string plan, cloud;
  bool powered = true, has_powered = false, protection = false, has_protection = false;
  if (!optional_string(o, "plan", plan)) return error(400, invalid_field("plan", "a string"));
  if (!optional_string(o, "cloud", cloud)) return error(400, invalid_field("cloud", "a string"));
  if (!optional_bool(o, "powered", powered, has_powered)) return error(400, invalid_field("powered", "a boolean"));
  if (!optional_bool(o, "termination_protection", protection, has_protection))
    return error(400, invalid_field("termination_protection", "a boolean"));
  const json::object* uc = nullptr;
  if (auto it = o.find("user_config"); it != o.end()) {
    uc = as_object(it->value());
    if (uc == nullptr) return error(400, invalid_field("user_config", "an object"));
  }

  std::unique_lock lock(mutex_);
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return error(404, "Project does not exist");
  auto sit = pit->second->services.find(service);
  if (sit == pit->second->services.end()) return error(404, "Service does not exist");
  service_rec& s = *sit->second;
  const auto now = steady::now();
  // A new plan or cloud, or powering on, rebuilds the nodes.
  bool rebuild = (!plan.empty() && plan != s.plan) || (!cloud.empty() && cloud != s.cloud) ||
                 (has_powered && powered && !s.powered);
  if (!plan.empty()) s.plan = plan;
  if (!cloud.empty()) s.cloud = cloud;
  if (has_powered) s.powered = powered;
  if (has_protection) s.termination_protection = protection;
  if (uc != nullptr) {
    // Partial update, as the API does it: given keys replace, null removes.
    for (const auto& kv : *uc) {
      if (kv.value().is_null())
        s.user_config.erase(kv.key());
      else
        s.user_config[kv.key()] = kv.value();
    }
  }
  if (rebuild) s.rebuild_start = now;
  s.update_time = format_time(std::chrono::system_clock::now());
  s.refresh_bodies();
  return {200, service_body(s, now), true};
}

api_response api_state::delete_service(const std::string& project, const std::string& service) {
  std::unique_lock lock(mutex_);
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return error(404, "Project does not exist");
  auto sit = pit->second->services.find(service);
  if (sit == pit->second->services.end()) return error(404, "Service does not exist");
  if (sit->second->termination_protection)
    return error(403, "Service is protected against termination and shutdown. Remove termination protection first.");
  pit->second->services.erase(sit);
  return ok(R"({"message":"Service deleted"})");
}

}  // namespace aiven::sim::detail
