// The simulated API: in-memory projects and services and the routes that
// read and change them. Independent of the transport, so that it can be
// driven directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace aiven::sim::detail {

/// Response bodies are shared and immutable: cached bodies are handed to any
/// number of connections without copying.
using body_ptr = std::shared_ptr<const std::string>;

struct api_response {
  unsigned status = 200;
  body_ptr body;
  bool executed = false;  ///< the request reached a route handler
};

/// Aiven's error body: {"message": M, "errors": [{"message": M, "status": S}]}.
std::string error_body(std::string_view message, unsigned status);

/// Decodes %XX escapes; false if an escape is malformed.
bool percent_decode(std::string_view in, std::string& out);

class api_state {
 public:
  explicit api_state(std::chrono::milliseconds service_ready_delay);
  ~api_state();
  api_state(const api_state&) = delete;
  api_state& operator=(const api_state&) = delete;

  /// Adds an empty project; nothing happens if it exists.
  void add_project(const std::string& name);
  void set_service_ready_delay(std::chrono::milliseconds d);

  /// Items in each paged list (service databases, ClickHouse query stats) of every service.
  void set_paged_items(std::size_t n) { paged_items_.store(n, std::memory_order_relaxed); }

  /// Runs one request. `authorized`: it carried an accepted token.
  api_response handle(std::string_view method, std::string_view target, std::string_view body, bool authorized);

 private:
  struct service_rec;
  struct project_rec;

  api_response list_projects() const;
  api_response create_project(std::string_view body);
  api_response get_project(const std::string& project) const;
  api_response delete_project(const std::string& project);
  api_response list_services(const std::string& project) const;
  api_response create_service(const std::string& project, std::string_view body);
  api_response get_service(const std::string& project, const std::string& service) const;
  api_response update_service(const std::string& project, const std::string& service, std::string_view body);
  api_response delete_service(const std::string& project, const std::string& service);

  // The paged list routes (routes_paged.cpp); nullopt when `target` is not one of them.
  std::optional<api_response> handle_paged(std::string_view method, std::string_view target, bool authorized) const;
  bool has_service(const std::string& project, const std::string& service) const;

  // Callers hold mutex_ exclusively.
  bool add_project_locked(const std::string& name, const std::string& default_cloud, const std::string& currency,
                          const std::map<std::string, std::string>& tags);
  void rebuild_project_list_locked();
  const body_ptr& service_body(const service_rec& s, std::chrono::steady_clock::time_point now) const;

  std::atomic<std::int64_t> ready_delay_ms_;
  std::atomic<std::size_t> paged_items_{0};
  // Readers (GETs) share the lock and only copy body pointers under it;
  // serialization happens on change, under the exclusive lock.
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<project_rec>> projects_;
  body_ptr project_list_body_;
  body_ptr clouds_body_;
  std::uint64_t next_project_serial_ = 1;
};

}  // namespace aiven::sim::detail
