// aiven::client: the handle every operation runs through.
//
// A client is a cheap, copyable handle to one shared connection pool and its
// options. It is safe to use from several threads that run the same io_context
// (its shared state is guarded internally; each call runs on its own strand).
#pragma once

#include <aiven/diagnostics.hpp>
#include <aiven/error.hpp>
#include <aiven/version.hpp>
#include <aiven/with_diagnostics.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiven {

namespace detail {
class client_impl;
}

enum class http_method { get, head, post, put, patch, delete_ };
const char* to_string(http_method m) noexcept;

/// Keep-alive connection pool settings (one pool per client, i.e. per host).
struct pool_options {
  std::size_t max_connections = 16;
  /// Idle connections older than this are closed rather than reused. The API
  /// closes idle keep-alive connections on its side; stay below its limit.
  std::chrono::milliseconds idle_timeout{45'000};
  /// A connection is not reused once it is this old.
  std::chrono::milliseconds max_connection_age{600'000};
};

/// When and how often a failed call is sent again. Retried: connection
/// failures, 408, 429, 500, 502, 503, 504 and 501 (the API's "not ready yet").
/// A 429 is retried for any method (the request was refused, not executed);
/// the others only for idempotent calls (GET, HEAD, PUT, DELETE, or marked
/// idempotent), or when the request provably never reached the server.
struct retry_options {
  /// Attempts that failed; a 429 is not one (the API said "not now", see
  /// max_rate_limit_wait). 1: no retries.
  unsigned max_attempts = 5;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{20'000};
  double multiplier = 2.0;  // exponential backoff with full jitter
  /// rate_limit_options::adaptive off: after a 429 every call of the client waits
  /// until the server's time, then they resume spread over this window.
  std::chrono::milliseconds resume_spread{500};
  /// The most a call waits in all for the hints of 429s (or their backoff, without one);
  /// the call's deadline bounds it too. Past it the call ends with errc::rate_limited.
  std::chrono::milliseconds max_rate_limit_wait = std::chrono::milliseconds::max();
};

/// How calls keep to the API's rate limit (docs/rate-limits.md).
struct rate_limit_options {
  /// Optional client-side token bucket that keeps the client below a known limit. 0: off.
  double requests_per_second = 0;
  double burst = 10;
  /// Learn the limit from the API's 429s and pace calls to it: a rate is kept to
  /// (paced, never stopped), a spent budget per window is waited out and the next
  /// one spent as it opens. Off: a 429 with a hint pauses every call of the client.
  bool adaptive = true;
  /// Clients of this process with the same token and host share one pace (the API
  /// limits the token, not the client object).
  bool share_per_token = true;
  /// Across processes and machines: a Redis or Valkey server,
  /// `redis://[[user]:password@]host[:port][/db]`, that every process using the token
  /// shares. Once one of them learns the token's window, all of them count against one
  /// budget kept there (docs/rate-limits.md). Empty: off. If the server cannot be asked,
  /// the client's own governor admits (diagnostics and attempt_record say so).
  std::string shared_redis_url;
  /// The most an attempt waits for the shared limiter's answer before its own governor admits it.
  std::chrono::milliseconds shared_timeout{200};
};

/// What the client reports after each attempt of a call (see client_options::on_attempt).
/// Views are valid during the hook only. Nothing here carries the token; query values and
/// JSON members named like secrets are redacted (aiven/observe.hpp has the rule).
struct attempt_record {
  std::string_view operation_id;  ///< "" for raw requests without one
  http_method method = http_method::get;
  std::string_view target;  ///< path and query as sent (query secrets redacted)
  unsigned attempt = 1;     ///< 1-based, within the call
  unsigned status = 0;      ///< HTTP status; 0 when no response arrived
  error_code error;         ///< the attempt's failure, if any (an HTTP error status included)
  std::chrono::microseconds duration{};  ///< from asking for a connection to the end of the response
  std::size_t request_bytes = 0;         ///< request body bytes
  std::size_t response_bytes = 0;        ///< response body bytes (after inflating a gzip body)
  std::size_t response_wire_bytes = 0;   ///< response body bytes as received (compressed, when gzip)
  bool will_retry = false;               ///< the call goes on with another attempt
  /// rate_limit_options::shared_redis_url set but not answering for this attempt: why
  /// (its own governor admitted it). Empty otherwise.
  std::string_view shared_limiter_error;
  /// Redacted JSON bodies; empty unless client_options::log_bodies. The response body is
  /// never given for calls with `include_secrets` in the query.
  std::string_view request_body, response_body;
};

/// Settle after writes (aiven/settle.hpp): right after this client created a resource, a GET
/// under its path that answers 404, 403 or 501 is sent again with growing pauses, within
/// `window` of the create and never past the call's deadline (each attempt counts in
/// diagnostics::attempts). Only resources this client created; off unless `enabled` (or
/// call_options::settle; the waiters turn it on for their polls).
struct settle_options {
  bool enabled = false;
  std::chrono::milliseconds window{std::chrono::seconds(60)};  ///< how long after a create its reads are retried
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 2.0;
  unsigned max_retries = 20;  ///< per call
};

struct client_options {
  /// Scheme, host and optional port; the API's paths (/v1/...) are appended.
  std::string base_url = "https://api.aiven.io";
  /// The API token, sent as `Authorization: aivenv1 <token>`. Empty: no header.
  std::string token;
  std::string user_agent = std::string("aiven-cpp/") + AIVEN_VERSION_STRING;
  /// PEM file of trusted CAs; empty: the system trust store.
  std::string ca_file;
  /// PEM text of trusted CAs (added to ca_file / the system store when set).
  std::string ca_pem;
  /// Peer and host name verification. Turn off only for debugging.
  bool verify_peer = true;
  /// Allows a plain http:// base URL, and only to a loopback host (a local
  /// mock server). Without it every http:// base URL is refused.
  bool allow_insecure_http = false;
  /// HTTPS proxy, `http://[user:password@]host[:port]` (port 1080 when absent):
  /// connections are tunnelled with HTTP CONNECT, the credentials sent as
  /// `Proxy-Authorization: Basic`. Empty: connect directly.
  std::string proxy;
  /// Hosts that bypass the proxy, comma-separated as in NO_PROXY: `*` (all),
  /// a name (`api.example.com`, which also matches its subdomains; a leading
  /// dot is the same), or an IP address; a `:port` suffix is ignored.
  std::string no_proxy;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{60'000};  // whole call, every attempt included
  std::size_t max_body_size = 64u << 20;              // larger responses fail with errc::body_too_large
  /// Sends `Accept-Encoding: gzip` and inflates gzip answers as they arrive;
  /// max_body_size bounds the inflated size. The raw layer sees the inflated body.
  bool accept_gzip = true;
  pool_options pool{};
  retry_options retry{};
  rate_limit_options rate_limit{};
  /// Concurrent identical GETs share one request on the wire.
  bool single_flight = true;
  /// Called after every attempt (logging, metrics). It runs on the call's strand: with
  /// several threads running the io_context it can run on several threads at once.
  /// Exceptions it throws are swallowed.
  std::function<void(const attempt_record&)> on_attempt;
  /// Give on_attempt the (redacted) request and response bodies.
  bool log_bodies = false;
  /// Settle after writes: off by default.
  settle_options settle{};

  /// Defaults overridden by the environment, like Aiven's own tools:
  ///  - token: AIVEN_TOKEN, else AIVEN_AUTH_TOKEN, else `auth_token` of the avn CLI's credentials file,
  ///    AIVEN_CREDENTIALS_FILE or else ~/.config/aiven/aiven-credentials.json
  ///    (a missing default file is not an error);
  ///  - base_url: AIVEN_WEB_URL; ca_file: AIVEN_CA_CERT;
  ///  - proxy: HTTPS_PROXY, else https_proxy; no_proxy: NO_PROXY, else no_proxy.
  /// Throws std::invalid_argument when a credentials file exists but cannot be
  /// used (unreadable, not JSON, `auth_token` not a string) or AIVEN_CREDENTIALS_FILE
  /// names a file that does not exist.
  static client_options from_env();
};

/// Per-call overrides (call > client > defaults); unset members keep the client's value.
struct call_options {
  std::optional<std::chrono::milliseconds> timeout;
  /// Marks a POST/PATCH as safe to send twice (e.g. it carries its own idempotency key),
  /// or a GET/PUT/DELETE as not.
  std::optional<bool> idempotent;
  std::optional<retry_options> retry;
  std::optional<bool> single_flight;
  /// Settle after writes for this call (client_options::settle has the rule).
  std::optional<bool> settle;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The raw layer's request: method, path (relative to the base URL, e.g.
/// "/v1/project"), query parameters (encoded by the client), optional body.
struct raw_request {
  http_method method = http_method::get;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;  // sent when not empty
  std::string content_type = "application/json";
  std::string accept = "application/json";
  std::string operation_id;  // for diagnostics only
  /// Path segments that carry a credential (bit i: segment i after the leading '/'), shown
  /// as [REDACTED] in diagnostics and attempt records.
  std::uint32_t secret_segments = 0;

  static raw_request get(std::string path) { return make(http_method::get, std::move(path), {}); }
  static raw_request del(std::string path) { return make(http_method::delete_, std::move(path), {}); }
  static raw_request post(std::string path, std::string body) {
    return make(http_method::post, std::move(path), std::move(body));
  }
  static raw_request put(std::string path, std::string body) {
    return make(http_method::put, std::move(path), std::move(body));
  }
  static raw_request make(http_method m, std::string path, std::string body) {
    raw_request r;
    r.method = m;
    r.path = std::move(path);
    r.body = std::move(body);
    return r;
  }
};

struct raw_response {
  unsigned status = 0;
  header_list headers;
  std::string body;
  /// The first header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

/// Counters of the client's connection pool, for tests and monitoring.
struct pool_stats {
  std::uint64_t connections_opened = 0;  // TCP connections made (== TLS handshakes done)
  std::uint64_t connections_reused = 0;  // requests sent on an already used connection
  std::uint64_t stale_retries = 0;       // requests re-sent after a reused connection failed
  std::uint64_t retries = 0;             // attempts made by the retry policy (stale re-sends excluded)
  std::uint64_t shared_flights = 0;      // GETs answered by another call's identical request
  std::uint64_t rate_limited = 0;        // 429 answers received
  /// The pace the token's rate governor keeps now, requests per second (0: no 429
  /// seen, calls go as they come); within a budget per window, the pace it is spent at.
  double rate_pace = 0;
  std::uint64_t shared_limiter_errors = 0;  // admissions the shared limiter could not answer (the local governor did)
  std::size_t open = 0;                  // connections open now (idle + busy)
  std::size_t idle = 0;
  std::size_t max_open = 0;              // the most open at once
  std::size_t waiting = 0;               // calls waiting for a connection now
};

class client {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Throws std::invalid_argument on a base URL it cannot use.
  client(executor_type ex, client_options opts);

  executor_type get_executor() const noexcept;
  const client_options& options() const noexcept;
  pool_stats stats() const;

  /// A handle on the same pool whose calls use these overrides.
  client with(call_options opts) const;
  const call_options& call_overrides() const noexcept { return call_; }

  /// Closes idle connections now (e.g. before a process forks or sleeps).
  void close_idle();

  /// The raw layer. Completes with void(error_code, raw_response). A non-2xx
  /// status is an error (errc from the status) and the response is still given.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, raw_response)) Token = default_token>
  auto async_request(raw_request req, diagnostics& diag, Token&& token = {}) const {
    return initiate_raw(std::move(req), &diag, std::forward<Token>(token));
  }
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, raw_response)) Token = default_token>
  auto async_request(raw_request req, Token&& token = {}) const {
    return initiate_raw(std::move(req), nullptr, std::forward<Token>(token));
  }

  /// Internal: the shared state (used by the library's own translation units).
  detail::client_impl& impl() const noexcept { return *impl_; }
  std::shared_ptr<detail::client_impl> impl_shared() const noexcept { return impl_; }

 private:
  template <class Token>
  auto initiate_raw(raw_request req, diagnostics* diag, Token&& token) const {
    return boost::asio::async_initiate<Token, void(error_code, raw_response)>(
        [](auto handler, diagnostics* d, client c, raw_request r) {
          c.async_request_erased(std::move(r), d, std::move(handler));
        },
        token, diag, *this, std::move(req));
  }
  void async_request_erased(raw_request req, diagnostics* diag,
                            boost::asio::any_completion_handler<void(error_code, raw_response)> handler) const;

  std::shared_ptr<detail::client_impl> impl_;
  call_options call_;
};

}  // namespace aiven
