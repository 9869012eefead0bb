// The stateful resource families: create / get / list / update / delete over the store,
// with Aiven's 404 and 409 messages and error codes, and lifecycles derived on read:
//   Kafka topics   CONFIGURING -> ACTIVE, DELETING (then gone)
//   VPCs           APPROVED -> ACTIVE, DELETING (then gone)
//   peerings       APPROVED -> ACTIVE, DELETING (then gone)
//   integrations   active/enabled false -> true
// Every transition takes the service ready delay.
#include "sim/records.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace aiven::sim::detail {

namespace json = boost::json;

namespace {

// How one family is stored and answered.
struct family {
  std::string_view coll;      // collection name in its owner
  std::string_view id_param;  // path parameter naming an item
  std::string_view noun;      // for messages: "Service user", "Topic", ...
  std::string_view not_found_code, exists_code;
};

constexpr family users{"users", "service_username", "Service user", "", ""};
constexpr family databases{"databases", "dbname", "Database", "database_not_found", ""};
constexpr family pools{"connection_pools", "pool_name", "Connection pool", "pg_pool_not_found", "pg_pool_already_exists"};
constexpr family topics{"topics", "topic_name", "Topic", "kafka_topic_not_found", "kafka_topic_already_exists"};
constexpr family acls{"acl", "kafka_acl_id", "ACL entry", "service_acl_not_found", ""};
constexpr family subjects{"subjects", "subject_name", "Subject", "", ""};
constexpr family integrations{"integrations", "integration_id", "Service integration", "service_integration_not_found", ""};
constexpr family vpcs{"vpcs", "project_vpc_id", "Project VPC", "", ""};
constexpr family tokens{"tokens", "token_prefix", "Access token", "", ""};
constexpr family members{"members", "user_email", "Project member", "project_has_no_such_user", ""};

api_response not_found(const family& f, std::string_view id) {
  return error(404, std::string(f.noun) + " '" + std::string(id) + "' does not exist", f.not_found_code);
}
api_response exists(const family& f, std::string_view id) {
  return error(409, std::string(f.noun) + " '" + std::string(id) + "' already exists", f.exists_code);
}

const json::object& body_of(const request& r) {
  static const json::object empty;
  return r.body.is_object() ? r.body.get_object() : empty;
}
std::string string_of(const json::object& o, std::string_view key, std::string_view def = {}) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string(def);
}
// The request's members that are set (nulls left out).
json::object given(const json::object& o) {
  json::object out;
  for (const auto& kv : o)
    if (!kv.value().is_null()) out[kv.key()] = kv.value();
  return out;
}

// A visible record of a collection, or nullptr.
record* find(world& w, collection& c, const std::string& id, const request& r) {
  auto it = c.find(id);
  if (it == c.end() || !visible(w, it->second, r.now)) return nullptr;
  return &it->second;
}

// Drops records whose deletion completed.
void sweep(world& w, collection& c, steady::time_point now) {
  std::erase_if(c, [&](const auto& kv) { return gone(w, kv.second, now); });
}

api_response message(const request& r, std::string_view text) {
  return sample_with(r, json::object{{"message", text}});
}

// The sample's item at `key` (or the top level) with `item` over it, as the whole answer.
api_response item_answer(const request& r, std::string_view key, const json::object& item) {
  json::value v = json::parse(generated_sample(r.route.sample));
  json::object& o = v.as_object();
  json::object* target = &o;
  if (!key.empty()) {
    if (!o[key].is_object()) o[key] = json::object{};
    target = &o[key].as_object();
  }
  // A null in `item` means the member is absent (the document declares none of them nullable).
  for (const auto& kv : item) {
    if (kv.value().is_null())
      target->erase(kv.key());
    else
      (*target)[kv.key()] = kv.value();
  }
  if (o.contains("message")) o["message"] = "completed";
  api_response out = ok_json(v);
  out.status = r.route.status;
  return out;
}

// The sample with the array at `key` replaced by `items`, each over the sample's first item.
api_response list_answer(const request& r, std::string_view key, const std::vector<json::object>& items) {
  json::value v = json::parse(generated_sample(r.route.sample));
  json::object& o = v.as_object();
  json::object templ;
  if (auto a = o.if_contains(key); a && a->is_array() && !a->as_array().empty() && a->as_array()[0].is_object())
    templ = a->as_array()[0].as_object();
  json::array out;
  for (const auto& it : items) {
    json::object x = templ;
    for (const auto& kv : it) {
      if (kv.value().is_null())
        x.erase(kv.key());
      else
        x[kv.key()] = kv.value();
    }
    out.push_back(std::move(x));
  }
  o[key] = std::move(out);
  if (o.contains("message")) o["message"] = "completed";
  o.erase("next");
  return ok_json(v);
}

// A change to a service's collections shows in the service object.
api_response changed(world& w, service_rec& s, api_response a) {
  s.update_time = now_time();
  s.refresh_bodies(w.ca_pem);
  return a;
}

// ---- service users ---------------------------------------------------------

json::object new_user(const service_rec& s, const std::string& name, const json::object& body) {
  json::object u{{"username", name},
                 {"password", "AVNS_" + pseudo_secret(s.project + "/" + s.name + "/" + name, 20)},
                 {"type", "normal"}};
  if (auto ac = body.if_contains("access_control"); ac && ac->is_object()) u["access_control"] = *ac;
  if (auto au = body.if_contains("authentication"); au && au->is_string()) u["authentication"] = *au;
  if (s.type == "kafka") {
    // What `avn service user-creds-download` and kcat connection info need.
    u["access_cert"] = pseudo_pem("CERTIFICATE", s.name + "/" + name);
    u["access_key"] = pseudo_pem("PRIVATE KEY", s.name + "/" + name + "/key");
    u["access_cert_not_valid_after_time"] = "2035-01-01T00:00:00Z";
  }
  return u;
}

api_response user_create(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  std::string name = string_of(body_of(r), "username");
  collection& c = s->coll(users.coll);
  if (c.count(name)) return exists(users, name);
  json::object u = new_user(*s, name, body_of(r));
  c[name] = record{u, r.now};
  return changed(w, *s, item_answer(r, "user", u));
}

api_response user_get(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* u = find(w, s->coll(users.coll), r.param(users.id_param), r);
  return u ? item_answer(r, "user", u->data) : not_found(users, r.param(users.id_param));
}

api_response user_modify(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* u = find(w, s->coll(users.coll), r.param(users.id_param), r);
  if (u == nullptr) return not_found(users, r.param(users.id_param));
  const json::object& b = body_of(r);
  std::string op = string_of(b, "operation");
  if (op == "reset-credentials") {
    std::string pw = string_of(b, "new_password");
    u->data["password"] = pw.empty() ? "AVNS_" + pseudo_secret(std::string(u->data["password"].as_string()), 20) : pw;
  } else if (op == "set-access-control") {
    if (auto ac = b.if_contains("access_control")) u->data["access_control"] = *ac;
  }
  if (auto au = b.if_contains("authentication"); au && au->is_string()) u->data["authentication"] = *au;
  changed(w, *s, {});
  // The answer is the whole service object.
  std::string body = R"({"message":"completed",)";
  const std::string& sb = *s->body_running;
  body.append(sb, 1, sb.size() - 1);
  return ok(std::move(body));
}

api_response user_reset(world& w, const request& r) { return user_modify(w, r); }

api_response user_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  collection& c = s->coll(users.coll);
  const std::string& name = r.param(users.id_param);
  auto it = c.find(name);
  if (it == c.end()) return not_found(users, name);
  if (it->second.data["type"] == "primary") return error(400, "The primary user cannot be deleted", "bad_request");
  c.erase(it);
  return changed(w, *s, message(r, "deleted"));
}

// ---- databases -------------------------------------------------------------

api_response database_create(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  std::string name = string_of(body_of(r), "database");
  collection& c = s->coll(databases.coll);
  if (c.count(name)) return exists(databases, name);
  json::object d{{"database_name", name}};
  for (const char* k : {"lc_collate", "lc_ctype"}) d[k] = string_of(body_of(r), k, "en_US.UTF-8");
  c[name] = record{std::move(d), r.now};
  return changed(w, *s, message(r, "created"));
}

api_response database_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  collection& c = s->coll(databases.coll);
  if (c.erase(r.param(databases.id_param)) == 0) return not_found(databases, r.param(databases.id_param));
  return changed(w, *s, message(r, "deleted"));
}

// ---- connection pools ----------------------------------------------------

api_response pool_create(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const json::object& b = body_of(r);
  std::string name = string_of(b, "pool_name"), db = string_of(b, "database");
  collection& c = s->coll(pools.coll);
  if (c.count(name)) return exists(pools, name);
  if (!s->coll(databases.coll).count(db))
    return error(400, "Database '" + db + "' does not exist", "pg_pool_invalid_database");
  json::object p{{"pool_name", name}, {"database", db}, {"pool_mode", string_of(b, "pool_mode", "transaction")},
                 {"pool_size", b.contains("pool_size") && b.at("pool_size").is_int64() ? b.at("pool_size") : json::value(10)}};
  if (auto u = b.if_contains("username"); u && u->is_string()) p["username"] = *u;
  c[name] = record{std::move(p), r.now};
  return changed(w, *s, message(r, "created"));
}

api_response pool_update(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* p = find(w, s->coll(pools.coll), r.param(pools.id_param), r);
  if (p == nullptr) return not_found(pools, r.param(pools.id_param));
  for (const auto& kv : body_of(r)) {
    if (kv.value().is_null())
      p->data.erase(kv.key());
    else
      p->data[kv.key()] = kv.value();
  }
  return changed(w, *s, message(r, "updated"));
}

api_response pool_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  if (s->coll(pools.coll).erase(r.param(pools.id_param)) == 0) return not_found(pools, r.param(pools.id_param));
  return changed(w, *s, message(r, "deleted"));
}

// ---- Kafka topics ------------------------------------------------------------

json::object topic_view(const world& w, const std::string& name, const record& t, steady::time_point now) {
  json::object o = t.data;
  o["topic_name"] = name;
  o["state"] = lifecycle(w, t, now, "CONFIGURING", "ACTIVE", "DELETING");
  return o;
}

api_response topic_create(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const json::object& b = body_of(r);
  std::string name = string_of(b, "topic_name");
  collection& c = s->coll(topics.coll);
  sweep(w, c, r.now);
  if (auto it = c.find(name); it != c.end()) {
    if (it->second.deleting != steady::time_point::max())
      return error(409, "Topic '" + name + "' is queued for deletion", "kafka_topic_queued_for_deletion");
    return exists(topics, name);
  }
  json::object t{{"partitions", 1},          {"replication", 3},    {"min_insync_replicas", 1},
                 {"retention_hours", 168},   {"retention_bytes", -1}, {"cleanup_policy", "delete"},
                 {"tags", json::array{}}};
  for (const auto& kv : given(b)) t[kv.key()] = kv.value();
  t.erase("topic_name");
  t.erase("config");
  c[name] = record{std::move(t), r.now};
  return changed(w, *s, message(r, "created"));
}

api_response topic_list(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  std::vector<json::object> items;
  for (const auto& [name, t] : s->coll(topics.coll))
    if (visible(w, t, r.now)) items.push_back(topic_view(w, name, t, r.now));
  return list_answer(r, "topics", items);
}

api_response topic_get(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const std::string& name = r.param(topics.id_param);
  record* t = find(w, s->coll(topics.coll), name, r);
  if (t == nullptr) return not_found(topics, name);
  json::object v = topic_view(w, name, *t, r.now);
  v.erase("tags");  // the document's shape of tags here is its own; the sample's stays
  json::array parts;
  std::int64_t n = v["partitions"].is_int64() ? v["partitions"].get_int64() : 1;
  for (std::int64_t i = 0; i < n; ++i)
    parts.push_back(json::object{{"partition", i}, {"isr", 1}, {"size", 0}, {"earliest_offset", 0},
                                 {"latest_offset", 0}, {"consumer_groups", json::array{}}, {"remote_size", 0}});
  v["partitions"] = std::move(parts);
  return item_answer(r, "topic", v);
}

api_response topic_update(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const std::string& name = r.param(topics.id_param);
  record* t = find(w, s->coll(topics.coll), name, r);
  if (t == nullptr) return not_found(topics, name);
  for (const auto& kv : given(body_of(r))) t->data[kv.key()] = kv.value();
  t->data.erase("config");
  t->created = r.now;  // reconfiguring: CONFIGURING again for a moment
  return changed(w, *s, message(r, "updated"));
}

api_response topic_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const std::string& name = r.param(topics.id_param);
  record* t = find(w, s->coll(topics.coll), name, r);
  if (t == nullptr || t->deleting != steady::time_point::max()) return not_found(topics, name);
  t->deleting = r.now;
  return changed(w, *s, message(r, "deleted"));
}

// ---- Kafka ACLs -------------------------------------------------------------

api_response acl_all(world& w, service_rec& s, const request& r) {
  std::vector<json::object> items;
  for (const auto& [id, a] : s.coll(acls.coll))
    if (visible(w, a, r.now)) items.push_back(a.data);
  return list_answer(r, "acl", items);
}

api_response acl_list(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  return s ? acl_all(w, *s, r) : err;
}

api_response acl_add(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const json::object& b = body_of(r);
  for (const auto& [id, a] : s->coll(acls.coll))
    if (a.data.at("permission") == b.at("permission") && a.data.at("topic") == b.at("topic") &&
        a.data.at("username") == b.at("username"))
      return error(409, "Identical ACL entry already exists");
  std::string id = w.new_id("acl");
  s->coll(acls.coll)[id] = record{json::object{{"id", id}, {"permission", b.at("permission")},
                                               {"topic", b.at("topic")}, {"username", b.at("username")}},
                                  r.now};
  changed(w, *s, {});
  return acl_all(w, *s, r);
}

api_response acl_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  if (s->coll(acls.coll).erase(r.param(acls.id_param)) == 0) return not_found(acls, r.param(acls.id_param));
  changed(w, *s, {});
  return acl_all(w, *s, r);
}

// ---- Schema registry subjects ------------------------------------------------
// A subject's record holds its versions: {"versions": [{"id", "version", "schema", "schemaType"}]}.

api_response subject_post(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  const json::object& b = body_of(r);
  collection& c = s->coll(subjects.coll);
  record& sub = c[r.param(subjects.id_param)];
  if (sub.data.empty()) sub = record{json::object{{"versions", json::array{}}}, r.now};
  json::array& versions = sub.data["versions"].as_array();
  for (const auto& v : versions)  // registering the same schema again answers its id
    if (v.at("schema") == b.at("schema")) return sample_with(r, json::object{{"id", v.at("id")}});
  std::int64_t id = static_cast<std::int64_t>(w.next_id++);
  versions.push_back(json::object{{"id", id},
                                  {"version", static_cast<std::int64_t>(versions.size() + 1)},
                                  {"schema", b.at("schema")},
                                  {"schemaType", string_of(b, "schemaType", "AVRO")},
                                  {"subject", r.param(subjects.id_param)}});
  return sample_with(r, json::object{{"id", id}});
}

record* find_subject(world& w, service_rec& s, const request& r) {
  return find(w, s.coll(subjects.coll), r.param(subjects.id_param), r);
}

api_response subject_list(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  json::array names;
  for (const auto& [name, sub] : s->coll(subjects.coll))
    if (visible(w, sub, r.now)) names.push_back(json::value(name));
  return sample_with(r, json::object{{"subjects", std::move(names)}});
}

api_response subject_versions(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* sub = find_subject(w, *s, r);
  if (sub == nullptr) return not_found(subjects, r.param(subjects.id_param));
  json::array out;
  for (const auto& v : sub->data["versions"].as_array()) out.push_back(v.at("version"));
  return sample_with(r, json::object{{"versions", std::move(out)}});
}

const json::value* find_version(record& sub, const std::string& version) {
  const json::array& versions = sub.data["versions"].as_array();
  if (versions.empty()) return nullptr;
  if (version == "latest") return &versions.back();
  for (const auto& v : versions)
    if (std::to_string(v.at("version").as_int64()) == version) return &v;
  return nullptr;
}

api_response subject_version_get(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* sub = find_subject(w, *s, r);
  if (sub == nullptr) return not_found(subjects, r.param(subjects.id_param));
  const json::value* v = find_version(*sub, r.param("version_id"));
  if (v == nullptr) return error(404, "Version " + r.param("version_id") + " not found");
  return item_answer(r, "version", v->as_object());
}

api_response subject_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  if (s->coll(subjects.coll).erase(r.param(subjects.id_param)) == 0)
    return not_found(subjects, r.param(subjects.id_param));
  return message(r, "deleted");
}

api_response subject_version_delete(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  record* sub = find_subject(w, *s, r);
  if (sub == nullptr) return not_found(subjects, r.param(subjects.id_param));
  const json::value* v = find_version(*sub, r.param("version_id"));
  if (v == nullptr) return error(404, "Version " + r.param("version_id") + " not found");
  json::array& versions = sub->data["versions"].as_array();
  versions.erase(versions.begin() + (v - versions.data()));
  return message(r, "deleted");
}

// ---- Service integrations (project level) -------------------------------------

json::object integration_view(const world& w, const record& i, steady::time_point now) {
  json::object o = i.data;
  const bool ready = now - i.created >= w.ready_delay();
  o["active"] = ready;
  o["enabled"] = true;
  o["integration_status"] = json::object{
      {"state", json::object{{"errors", json::array{}}, {"nodes", json::object{}}, {"status", ready ? "running" : "starting"}}},
      {"status_user_desc", ready ? "Integration is running" : "Integration is being set up"}};
  return o;
}

api_response integration_create(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  json::object b = given(body_of(r));
  for (const char* side : {"source_service", "dest_service"}) {
    std::string name = string_of(b, side);
    if (!name.empty() && !p->services.count(name))
      return error(404, "Service '" + name + "' does not exist", "service_does_not_exist");
  }
  std::string id = pseudo_uuid("integration/" + std::to_string(w.next_id++));
  b["service_integration_id"] = id;
  b["source_project"] = string_of(b, "source_project", p->name);
  b["dest_project"] = string_of(b, "dest_project", p->name);
  b.emplace("user_config", json::object{});
  b["description"] = string_of(b, "integration_type") + " integration";
  for (const char* side : {"source", "dest"}) {
    std::string svc = string_of(b, std::string(side) + "_service");
    if (auto it = p->services.find(svc); it != p->services.end()) b[std::string(side) + "_service_type"] = it->second->type;
  }
  record& rec = p->coll(integrations.coll)[id] = record{std::move(b), r.now};
  return item_answer(r, "service_integration", integration_view(w, rec, r.now));
}

api_response integration_get(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* i = find(w, p->coll(integrations.coll), r.param(integrations.id_param), r);
  if (i == nullptr) return not_found(integrations, r.param(integrations.id_param));
  return item_answer(r, "service_integration", integration_view(w, *i, r.now));
}

api_response integration_update(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* i = find(w, p->coll(integrations.coll), r.param(integrations.id_param), r);
  if (i == nullptr) return not_found(integrations, r.param(integrations.id_param));
  if (auto uc = body_of(r).if_contains("user_config"); uc && uc->is_object()) i->data["user_config"] = *uc;
  return item_answer(r, "service_integration", integration_view(w, *i, r.now));
}

api_response integration_delete(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  if (p->coll(integrations.coll).erase(r.param(integrations.id_param)) == 0)
    return not_found(integrations, r.param(integrations.id_param));
  return message(r, "deleted");
}

api_response integration_list(world& w, const request& r) {
  api_response err;
  service_rec* s = find_service(w, r, err);
  if (s == nullptr) return err;
  std::vector<json::object> items;
  for (const auto& [id, i] : w.projects.at(r.param("project"))->coll(integrations.coll))
    if (visible(w, i, r.now) && (string_of(i.data, "source_service") == s->name || string_of(i.data, "dest_service") == s->name))
      items.push_back(integration_view(w, i, r.now));
  return list_answer(r, "service_integrations", items);
}

// ---- VPCs and their peering connections -------------------------------------

json::object peering_view(const world& w, const json::object& pc, steady::time_point now, bool vpc_deleting) {
  json::object o = pc;
  record clock{json::object{}, steady::time_point(steady::duration(pc.at("created_ns").as_int64()))};
  if (vpc_deleting || o.contains("deleting_ns")) clock.deleting = now;
  o.erase("created_ns");
  o.erase("deleting_ns");
  o["state"] = lifecycle(w, clock, now, "APPROVED", "ACTIVE", "DELETING");
  o["state_info"] = json::object{{"message", std::string(o["state"].as_string()) == "ACTIVE"
                                                 ? "Peering connection active"
                                                 : "Peering connection is being set up"},
                                 {"type", "info"}, {"warnings", json::array{}}};
  return o;
}

json::object vpc_view(const world& w, const record& v, steady::time_point now) {
  json::object o = v.data;
  const bool deleting = v.deleting != steady::time_point::max();
  o["state"] = lifecycle(w, v, now, "APPROVED", "ACTIVE", "DELETING");
  json::array pcs;
  for (auto& pc : v.data.at("peering_connections").as_array()) {
    const json::object& po = pc.as_object();
    // A deleted peering is gone after the delay.
    if (auto d = po.if_contains("deleting_ns"); d && now - steady::time_point(steady::duration(d->as_int64())) >= w.ready_delay())
      continue;
    pcs.push_back(peering_view(w, po, now, deleting));
  }
  o["peering_connections"] = std::move(pcs);
  o["pending_build_only_peering_connections"] = nullptr;
  return o;
}

json::object new_peering(world& w, const json::object& b, steady::time_point now) {
  json::object pc = given(b);
  pc["peering_connection_id"] = pseudo_uuid("peering/" + std::to_string(w.next_id++));
  pc["create_time"] = pc["update_time"] = now_time();
  pc.emplace("user_peer_network_cidrs", json::array{});
  // Required by the document though the API leaves them empty where they do not apply.
  for (const char* k : {"peer_azure_app_id", "peer_azure_tenant_id", "peer_resource_group"}) pc.emplace(k, "");
  pc.emplace("vpc_peering_connection_type", "aws-vpc-peering-connection");
  pc["created_ns"] = static_cast<std::int64_t>(now.time_since_epoch().count());
  return pc;
}

api_response vpc_create(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  const json::object& b = body_of(r);
  std::string cloud = string_of(b, "cloud_name");
  collection& c = p->coll(vpcs.coll);
  sweep(w, c, r.now);
  for (const auto& [id, v] : c)
    if (string_of(v.data, "cloud_name") == cloud && v.deleting == steady::time_point::max())
      return error(409, "Project already has a VPC in cloud " + cloud);
  std::string id = pseudo_uuid("vpc/" + std::to_string(w.next_id++));
  json::array pcs;
  if (auto a = b.if_contains("peering_connections"); a && a->is_array())
    for (const auto& pc : a->as_array())
      if (pc.is_object()) pcs.push_back(new_peering(w, pc.as_object(), r.now));
  record& rec = c[id] = record{json::object{{"project_vpc_id", id},
                                            {"cloud_name", cloud},
                                            {"network_cidr", b.at("network_cidr")},
                                            {"create_time", now_time()},
                                            {"update_time", now_time()},
                                            {"peering_connections", std::move(pcs)}},
                               r.now};
  return item_answer(r, "", vpc_view(w, rec, r.now));
}

record* find_vpc(world& w, project_rec& p, const request& r) {
  collection& c = p.coll(vpcs.coll);
  sweep(w, c, r.now);
  return find(w, c, r.param(vpcs.id_param), r);
}

api_response vpc_get(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* v = find_vpc(w, *p, r);
  if (v == nullptr) return not_found(vpcs, r.param(vpcs.id_param));
  return item_answer(r, "", vpc_view(w, *v, r.now));
}

api_response vpc_list(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  std::vector<json::object> items;
  for (const auto& [id, v] : p->coll(vpcs.coll)) {
    if (!visible(w, v, r.now)) continue;
    json::object o = vpc_view(w, v, r.now);
    o.erase("peering_connections");
    o.erase("pending_build_only_peering_connections");
    items.push_back(std::move(o));
  }
  return list_answer(r, "vpcs", items);
}

api_response vpc_delete(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* v = find_vpc(w, *p, r);
  if (v == nullptr || v->deleting != steady::time_point::max()) return not_found(vpcs, r.param(vpcs.id_param));
  for (const auto& [name, s] : p->services)
    if (s->project_vpc_id == r.param(vpcs.id_param))
      return error(409, "Project VPC is in use by service " + name);
  v->deleting = r.now;
  return item_answer(r, "", vpc_view(w, *v, r.now));
}

api_response peering_create(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* v = find_vpc(w, *p, r);
  if (v == nullptr) return not_found(vpcs, r.param(vpcs.id_param));
  const json::object& b = body_of(r);
  json::array& pcs = v->data["peering_connections"].as_array();
  for (const auto& pc : pcs)
    if (pc.at("peer_cloud_account") == b.at("peer_cloud_account") && pc.at("peer_vpc") == b.at("peer_vpc") &&
        !pc.as_object().contains("deleting_ns"))
      return error(409, "Peering connection already exists");
  pcs.push_back(new_peering(w, b, r.now));
  return item_answer(r, "", peering_view(w, pcs.back().as_object(), r.now, false));
}

api_response peering_delete(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* v = find_vpc(w, *p, r);
  if (v == nullptr) return not_found(vpcs, r.param(vpcs.id_param));
  for (auto& pc : v->data["peering_connections"].as_array()) {
    json::object& po = pc.as_object();
    auto field = [&](const char* k) { return po.contains(k) && po.at(k).is_string() ? std::string(po.at(k).as_string()) : std::string(); };
    if (field("peer_cloud_account") != r.param("peer_cloud_account") || field("peer_vpc") != r.param("peer_vpc")) continue;
    if (!r.param("peer_region").empty() && field("peer_region") != r.param("peer_region")) continue;
    if (!r.param("peer_resource_group").empty() && field("peer_resource_group") != r.param("peer_resource_group")) continue;
    if (po.contains("deleting_ns")) break;
    po["deleting_ns"] = static_cast<std::int64_t>(r.now.time_since_epoch().count());
    return item_answer(r, "", peering_view(w, po, r.now, false));
  }
  return error(404, "Peering connection does not exist");
}

// ---- Access tokens (global) ------------------------------------------------------

json::object token_view(const record& t) {
  json::object o = t.data;
  o.erase("full_token");
  return o;
}

api_response token_create(world& w, const request& r) {
  const json::object& b = body_of(r);
  std::string full = pseudo_secret("token/" + std::to_string(w.next_id++), 60);
  std::string prefix = full.substr(0, 10);
  json::object t = given(b);
  t["token_prefix"] = prefix;
  t["full_token"] = full;
  t["create_time"] = now_time();
  t["created_manually"] = true;
  t["currently_active"] = false;
  t.emplace("extend_when_used", false);
  t.emplace("max_age_seconds", nullptr);  // absent unless given
  t.emplace("ip_allowlist", json::array{});
  t.emplace("scopes", json::array{});
  t["expiry_time"] = nullptr;
  t["last_used_time"] = nullptr;
  t["last_ip"] = nullptr;
  t["last_user_agent"] = nullptr;
  t["last_user_agent_human_readable"] = nullptr;
  w.global_coll(tokens.coll)[prefix] = record{t, r.now};
  return item_answer(r, "", t);
}

api_response token_list(world& w, const request& r) {
  std::vector<json::object> items;
  for (const auto& [p, t] : w.global_coll(tokens.coll))
    if (visible(w, t, r.now)) items.push_back(token_view(t));
  return list_answer(r, "tokens", items);
}

api_response token_update(world& w, const request& r) {
  record* t = find(w, w.global_coll(tokens.coll), r.param(tokens.id_param), r);
  if (t == nullptr) return not_found(tokens, r.param(tokens.id_param));
  t->data["description"] = body_of(r).at("description");
  return item_answer(r, "", token_view(*t));
}

api_response token_revoke(world& w, const request& r) {
  if (w.global_coll(tokens.coll).erase(r.param(tokens.id_param)) == 0)
    return not_found(tokens, r.param(tokens.id_param));
  return message(r, "Access token revoked");
}

// ---- Project members ---------------------------------------------------------------
// An invitation makes the user a member at once (nobody is there to accept it).

api_response member_invite(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  const json::object& b = body_of(r);
  std::string email = string_of(b, "user_email");
  collection& c = p->coll(members.coll);
  if (c.count(email)) return error(409, "User is already a member of the project");
  c[email] = record{json::object{{"user_email", email},
                                 {"member_type", string_of(b, "member_type", "developer")},
                                 {"real_name", email.substr(0, email.find('@'))},
                                 {"create_time", now_time()},
                                 {"auth", json::array{"password"}},
                                 {"billing_contact", false}},
                    r.now};
  return message(r, "invitation sent");
}

api_response member_list(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  std::vector<json::object> items{json::object{{"user_email", "sim-user@example.com"},
                                               {"member_type", "admin"},
                                               {"real_name", "Simulated User"},
                                               {"create_time", "2024-01-01T00:00:00Z"},
                                               {"auth", json::array{"password"}},
                                               {"billing_contact", true}}};
  for (const auto& [email, m] : p->coll(members.coll))
    if (visible(w, m, r.now)) items.push_back(m.data);
  api_response out = list_answer(r, "users", items);
  json::value v = json::parse(*out.body);
  v.as_object()["invitations"] = json::array{};
  v.as_object()["group_users"] = json::array{};
  return ok_json(v);
}

api_response member_update(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  record* m = find(w, p->coll(members.coll), r.param(members.id_param), r);
  if (m == nullptr) return error(404, "Project has no such user", members.not_found_code);
  m->data["member_type"] = body_of(r).at("member_type");
  return message(r, "updated");
}

api_response member_remove(world& w, const request& r) {
  api_response err;
  project_rec* p = find_project(w, r, err);
  if (p == nullptr) return err;
  if (p->coll(members.coll).erase(r.param(members.id_param)) == 0)
    return error(404, "Project has no such user", members.not_found_code);
  return message(r, "removed");
}

constexpr handler_entry table[] = {
    {"ServiceUserCreate", user_create, true},
    {"ServiceUserGet", user_get, false},
    {"ServiceUserCredentialsModify", user_modify, true},
    {"ServiceUserCredentialsReset", user_reset, true},
    {"ServiceUserDelete", user_delete, true},
    {"ServiceDatabaseCreate", database_create, true},
    {"ServiceDatabaseDelete", database_delete, true},
    {"ServicePGBouncerCreate", pool_create, true},
    {"ServicePGBouncerUpdate", pool_update, true},
    {"ServicePGBouncerDelete", pool_delete, true},
    {"ServiceKafkaTopicCreate", topic_create, true},
    {"ServiceKafkaTopicList", topic_list, false},
    {"ServiceKafkaTopicGet", topic_get, false},
    {"ServiceKafkaTopicUpdate", topic_update, true},
    {"ServiceKafkaTopicDelete", topic_delete, true},
    {"ServiceKafkaAclList", acl_list, false},
    {"ServiceKafkaAclAdd", acl_add, true},
    {"ServiceKafkaAclDelete", acl_delete, true},
    {"ServiceSchemaRegistrySubjectVersionPost", subject_post, true},
    {"ServiceSchemaRegistrySubjects", subject_list, false},
    {"ServiceSchemaRegistrySubjectVersionsGet", subject_versions, false},
    {"ServiceSchemaRegistrySubjectVersionGet", subject_version_get, false},
    {"ServiceSchemaRegistrySubjectDelete", subject_delete, true},
    {"ServiceSchemaRegistrySubjectVersionDelete", subject_version_delete, true},
    {"ServiceIntegrationCreate", integration_create, true},
    {"ServiceIntegrationGet", integration_get, false},
    {"ServiceIntegrationUpdate", integration_update, true},
    {"ServiceIntegrationDelete", integration_delete, true},
    {"ServiceIntegrationList", integration_list, false},
    {"VpcCreate", vpc_create, true},
    {"VpcGet", vpc_get, true},  // sweeps finished deletions
    {"VpcList", vpc_list, false},
    {"VpcDelete", vpc_delete, true},
    {"VpcPeeringConnectionCreate", peering_create, true},
    {"VpcPeeringConnectionDelete", peering_delete, true},
    {"VpcPeeringConnectionWithRegionDelete", peering_delete, true},
    {"VpcPeeringConnectionWithResourceGroupDelete", peering_delete, true},
    {"AccessTokenCreate", token_create, true},
    {"AccessTokenList", token_list, false},
    {"AccessTokenUpdate", token_update, true},
    {"AccessTokenRevoke", token_revoke, true},
    {"ProjectInvite", member_invite, true},
    {"ProjectUserList", member_list, false},
    {"ProjectUserUpdate", member_update, true},
    {"ProjectUserRemove", member_remove, true},
};

}  // namespace

std::span<const handler_entry> family_handlers() { return table; }

}  // namespace aiven::sim::detail
