// The simulator's in-memory store and what its route handlers share. Internal.
//
// Projects own services and project-level collections (VPCs, integrations, members, ...);
// services own theirs (users, databases, pools, topics, ACLs, subjects, ...); tokens are
// global. A collection is an ordered map id -> record; a record keeps its JSON object and
// its creation and deletion times, from which its lifecycle state is derived on read.
#pragma once

#include "sim/router.hpp"
#include "sim/state.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aiven::sim::detail {

using steady = std::chrono::steady_clock;

struct record {
  boost::json::object data;
  steady::time_point created{};
  steady::time_point deleting = steady::time_point::max();  ///< when a delete began
};
using collection = std::map<std::string, record>;

/// One entry of a service's log (ProjectGetServiceLogs), in time order.
struct log_entry {
  std::string time, msg, unit, severity;
};

struct service_rec {
  std::string name, type, plan, cloud, project, project_vpc_id;
  boost::json::object user_config;
  std::map<std::string, std::string> tags;
  bool termination_protection = false;
  bool powered = true;
  std::int64_t disk_space_mb = 0;
  steady::time_point created{};
  steady::time_point rebuild_start{};
  std::string transition = "REBUILDING";  ///< the state until ready: REBUILDING or REBALANCING
  std::string create_time, update_time;
  /// "users", "databases", "connection_pools", "topics", "acl", "subjects", ...
  std::map<std::string, collection, std::less<>> sub;
  /// The service's log, oldest first; an entry's offset is its index (see logs.cpp).
  std::vector<log_entry> logs;
  std::chrono::system_clock::time_point last_log_time{};
  // {"service":{...}} as it reads in each state; rebuilt on every change.
  body_ptr body_transition, body_running, body_poweroff;

  collection& coll(std::string_view name) {
    auto it = sub.find(name);
    if (it == sub.end()) it = sub.emplace(std::string(name), collection{}).first;
    return it->second;
  }
  boost::json::object to_json(std::string_view state, std::string_view ca_pem) const;
  void refresh_bodies(std::string_view ca_pem);
};

struct project_rec {
  std::string name, default_cloud, currency, account_id, organization_id, billing_group_id;
  std::map<std::string, std::string> tags;
  std::map<std::string, std::unique_ptr<service_rec>> services;
  /// "vpcs", "integrations", "integration_endpoints", "members", "invites"
  std::map<std::string, collection, std::less<>> sub;
  boost::json::object object;  // the ProjectOut object, also used in the list
  body_ptr body;               // {"project":{...}}

  collection& coll(std::string_view name) {
    auto it = sub.find(name);
    if (it == sub.end()) it = sub.emplace(std::string(name), collection{}).first;
    return it->second;
  }
  void refresh();
};

struct world {
  std::map<std::string, std::unique_ptr<project_rec>> projects;
  std::map<std::string, collection, std::less<>> global;  // "tokens"
  body_ptr project_list_body;
  body_ptr clouds_body;
  std::string ca_pem;
  std::uint64_t next_project_serial = 1;
  std::uint64_t next_id = 1;
  std::atomic<std::int64_t> ready_delay_ms{1000};
  std::atomic<std::int64_t> consistency_delay_ms{0};
  std::atomic<std::size_t> paged_items{0};

  std::chrono::milliseconds ready_delay() const { return std::chrono::milliseconds(ready_delay_ms.load()); }
  std::chrono::milliseconds consistency_delay() const {
    return std::chrono::milliseconds(consistency_delay_ms.load());
  }
  collection& global_coll(std::string_view name) {
    auto it = global.find(name);
    if (it == global.end()) it = global.emplace(std::string(name), collection{}).first;
    return it->second;
  }
  bool add_project(const std::string& name, const std::string& default_cloud, const std::string& currency,
                   const std::map<std::string, std::string>& tags);
  void rebuild_project_list();
  /// A short unique id with a prefix, e.g. "acl4f2a0000001".
  std::string new_id(std::string_view prefix);
};

/// One routed request, as the handlers see it.
struct request {
  std::string_view method;
  const route_info& route;
  const path_params& params;
  const boost::json::value& body;  ///< null when none was sent
  std::string_view query;
  steady::time_point now;

  const std::string& param(std::string_view name) const { return params[name]; }
};

using handler_fn = api_response (*)(world&, const request&);
struct handler_entry {
  std::string_view op_id;
  handler_fn fn;
  bool writes;  ///< takes the store's lock exclusively
};

// Handler tables, one per resource family file.
std::span<const handler_entry> project_handlers();   // state.cpp
std::span<const handler_entry> service_handlers();   // services.cpp
std::span<const handler_entry> family_handlers();    // families.cpp
std::span<const handler_entry> catalog_handlers();   // catalog.cpp
std::span<const handler_entry> log_handlers();       // logs.cpp

/// Appends `n` entries to the service's log, each later than the one before.
void append_logs(service_rec& s, std::size_t n);

// Helpers shared by the handlers.
body_ptr make_body(std::string s);
api_response error(unsigned status, std::string_view message, std::string_view code = {});
api_response ok(std::string body);
api_response ok_json(const boost::json::value& v);
/// The document's sample answer of the route with `overlay`'s members put over it.
api_response sample_with(const request& r, const boost::json::object& overlay);
std::string format_time(std::chrono::system_clock::time_point tp);
std::string now_time();
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ull);
std::string pseudo_secret(std::string_view seed, std::size_t len);
std::string pseudo_hex(std::string_view seed, std::size_t len);
std::string pseudo_uuid(std::string_view seed);
std::string pseudo_pem(std::string_view kind, std::string_view seed);
std::string host_label(std::string_view s);

/// The project, or nullptr with `err` set to Aiven's 404.
project_rec* find_project(world& w, const request& r, api_response& err);
/// The service of the request's {project}/{service_name}, or nullptr with `err` set.
service_rec* find_service(world& w, const request& r, api_response& err);
/// A record that is visible: created at least the consistency delay ago and not gone.
bool visible(const world& w, const record& rec, steady::time_point now);
/// Whether a deletion that began has completed (deletions take the ready delay).
bool gone(const world& w, const record& rec, steady::time_point now);
/// Its lifecycle state: `transition` until the ready delay has passed, then `ready`;
/// `deleting_state` once a delete began.
std::string_view lifecycle(const world& w, const record& rec, steady::time_point now, std::string_view transition,
                           std::string_view ready, std::string_view deleting_state);

}  // namespace aiven::sim::detail
