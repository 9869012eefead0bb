// Test helper for tests that need well-formed answers only (a status and a JSON
// body per request), for resources the simulator does not model: the scripted
// server of scripted_server.hpp with a responder that writes one complete
// response per request, on a keep-alive connection.
#pragma once

#include "support/scripted_server.hpp"

#include <aiven/client.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace aiven::test {

using scripted_request = seen_request;

struct scripted_response {
  unsigned status = 200;
  std::string body = "{}";
};

class script_server : public scripted_server {
 public:
  using script = std::function<scripted_response(const scripted_request&)>;

  explicit script_server(script s)
      : scripted_server([s = std::move(s)](const seen_request& r) -> test::script {
          auto a = s(r);
          return {send(response(a.status, a.body, {{"Content-Type", "application/json"}}))};
        }) {}

  client_options options() const {
    client_options o;
    o.base_url = base_url();
    o.allow_insecure_http = true;
    o.token = "script-token";
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    return o;
  }
};

}  // namespace aiven::test
