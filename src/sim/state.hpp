// The simulated API: every operation of the document routed (router.hpp), the modelled
// ones answered from an in-memory store (records.hpp), the others with a sample built from
// the document. Independent of the transport, so that it can be driven directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
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
  std::string_view content_type = "application/json";
  bool not_modelled = false;  ///< answered with the document's sample (header X-Aiven-Sim: not-modelled)
};

/// Aiven's error body: {"message": M, "errors": [{"message": M, "status": S[, "error_code": C]}]}.
std::string error_body(std::string_view message, unsigned status, std::string_view error_code = {});

/// Decodes %XX escapes; false if an escape is malformed.
bool percent_decode(std::string_view in, std::string& out);

class router;
struct world;

class api_state {
 public:
  explicit api_state(std::chrono::milliseconds service_ready_delay);
  ~api_state();
  api_state(const api_state&) = delete;
  api_state& operator=(const api_state&) = delete;

  /// Adds an empty project; nothing happens if it exists.
  void add_project(const std::string& name);
  void set_service_ready_delay(std::chrono::milliseconds d);
  /// Reads of a resource created less than `d` ago answer 404, as a replica that has not
  /// caught up does (0: off).
  void set_consistency_delay(std::chrono::milliseconds d);

  /// Items in each paged list (service databases, ClickHouse query stats) of every service.
  void set_paged_items(std::size_t n);

  /// Appends `n` entries to a service's log; false if there is no such service.
  bool add_service_logs(const std::string& project, const std::string& service, std::size_t n);

  /// The PEM served as every project's CA (GET /v1/project/{project}/kms/ca).
  void set_ca_pem(std::string pem);

  /// Answers `status` and `body` to every request of `method` on `path_template` (a template
  /// of the document, e.g. /v1/project/{project}/service/{service_name}); false if the
  /// document has no such operation. An empty body is Aiven's error body for an error status,
  /// the document's sample otherwise.
  bool respond(std::string_view method, std::string_view path_template, unsigned status, std::string body);
  void clear_responses();

  /// Creates the projects and services of a seed document; throws std::invalid_argument.
  void seed(std::string_view json_text);

  /// Runs one request. `authorized`: it carried an accepted token.
  api_response handle(std::string_view method, std::string_view target, std::string_view body, bool authorized);

 private:
  std::unique_ptr<router> router_;
  std::unique_ptr<world> world_;
  // Readers (GETs) share the lock; changes take it exclusively.
  mutable std::shared_mutex mutex_;
  struct stub {
    unsigned status;
    body_ptr body;
  };
  std::mutex stubs_mutex_;
  std::map<std::pair<std::string, std::string>, stub> stubs_;  // (method, template)
  std::atomic<std::size_t> stub_count_{0};
};

}  // namespace aiven::sim::detail
