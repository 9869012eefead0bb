// Settle after writes: the API is eventually consistent, so right after this
// client created a resource, a read of it may answer 404 (or 403 "Not a project
// member", or 501) for a while. settle_tracker remembers what this client
// created and says when such a read deserves another attempt. It is sans-io:
// the clock is injected, nothing sleeps; the call path asks it after each call.
//
// The client keeps one (client_options::settle turns its retries on); it can be
// used on its own too. Rules: only GETs (and HEADs) answered 404, 403 or 501; only for a path at or
// under a resource this client created (a successful POST under a collection,
// named by the request's or response's identifying member, or a successful PUT
// of the path itself) within `window`; pauses grow from initial_backoff by
// multiplier up to max_backoff; never a pause that ends past the call's deadline.
#pragma once

#include <aiven/client.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aiven {

class settle_tracker {
 public:
  using clock = std::chrono::steady_clock;

  explicit settle_tracker(settle_options opts = {}, std::function<clock::time_point()> now = &clock::now);
  ~settle_tracker();
  settle_tracker(const settle_tracker&) = delete;
  settle_tracker& operator=(const settle_tracker&) = delete;

  /// After a successful call (2xx): records what it created. A POST to `target` records
  /// `target/<name>` for each identifying member of the JSON request or response body
  /// (service_name, topic_name, project, project_vpc_id, service_integration_id, ...;
  /// one level deep); a PUT records `target`; a DELETE forgets `target` and what is under it.
  void record_success(http_method m, std::string_view target, std::string_view request_body = {},
                      std::string_view response_body = {});

  /// After a failed call: the pause before sending it again, or nullopt when the rules
  /// above say no. `retries` is how many settle retries this call has had already.
  std::optional<std::chrono::milliseconds> retry_after(http_method m, std::string_view target, unsigned status,
                                                       unsigned retries, clock::time_point deadline) const;

  /// True when `target` (its path; the query is ignored) is at or under a resource this
  /// client created within the window.
  bool created_recently(std::string_view target) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace aiven
