// aiven::sim::simulator: a local HTTPS server that behaves like api.aiven.io.
//
// Every operation of the API document is routed (generated from the document):
// projects, services and their users, databases, connection pools, Kafka topics,
// ACLs and schema subjects, integrations, VPCs and peerings, tokens and project
// members are kept in memory with their lifecycles; every other operation answers
// the document's sample with the header `X-Aiven-Sim: not-modelled`. It serves
// TLS with HTTP/1.1 keep-alive on 127.0.0.1, records what it receives, and can
// be told to misbehave (errors, rate limits, resets, truncated or malformed
// answers) so that client code can be tested offline. It runs on its own
// threads; every member function is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aiven::sim {

enum class fault_kind {
  /// Answer `status` with `body` (an Aiven error body if empty) and `headers`.
  status,
  /// 429 with Aiven's rate-limit message, which names `retry_after_s`; a
  /// `Retry-After` header only when `with_retry_after_header`.
  rate_limit,
  /// Read the request, then close the TCP connection: no answer, no TLS
  /// close_notify (the client sees a reset).
  reset_before_headers,
  /// Execute the request, send the headers and half the body, then reset.
  reset_mid_body,
  /// Execute the request, announce the full Content-Length, send only part of
  /// the body, then close.
  truncated_body,
  /// Wait `delay`, then execute and answer normally.
  slow_headers,
  /// Execute the request, answer 200 with a body that is not valid JSON.
  malformed_json,
  /// Answer normally (no `Connection: close`), then close the connection: the
  /// client is left with a stale keep-alive connection.
  close_after_response,
  /// Write `body` verbatim as the whole answer (status line, headers, body:
  /// any bytes at all, e.g. a hostile or broken HTTP response), then close.
  raw_response,
  /// Execute the request and answer normally, but one byte every `delay`
  /// (a server that holds the client without ever going silent).
  trickle,
};

const char* to_string(fault_kind k) noexcept;

struct fault {
  fault_kind kind = fault_kind::status;
  unsigned status = 500;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  unsigned retry_after_s = 1;
  bool with_retry_after_header = true;
  std::chrono::milliseconds delay{0};
  std::string method;       ///< "" = any
  std::string path_prefix;  ///< "" = any; matched against the raw target
  int count = 1;            ///< matching requests it applies to (-1 = until cleared)
};

struct recorded_request {
  std::string method;
  std::string target;  ///< raw request target as received (percent-encoding kept)
  std::string body;
  bool had_token = false;   ///< an `Authorization: aivenv1 ...` header was sent (the token is never stored)
  bool authorized = false;  ///< ... and its token is one of the accepted ones
  std::uint64_t connection_id = 0;
  unsigned status = 0;    ///< status answered; 0 if the connection was dropped without an answer
  bool executed = false;  ///< the request reached its route handler (see simulator::executed)
  bool faulted = false;   ///< a fault (injected or random) was applied to it
  fault_kind fault = fault_kind::status;  ///< which one, when `faulted`
};

/// The TLS side of the listener, for testing how clients fail.
enum class tls_variant {
  normal,
  /// The server certificate expired (signed by the usual CA).
  expired_certificate,
  /// The server certificate is valid but names only `other.invalid`.
  wrong_host_name,
  /// Only TLS 1.0 and 1.1 are offered.
  legacy_tls_only,
  /// TCP connections are accepted, the TLS handshake never answered.
  no_handshake,
};

/// Aiven's own rate limiter, played per token (off by default).
enum class rate_limit_mode {
  off,
  /// At most `requests` per `window`, counted from the first request of the window.
  fixed_window,
  /// A bucket of `burst` (default `requests`) that drains `requests` per `window`.
  leaky_bucket,
};

struct rate_limit_options {
  rate_limit_mode mode = rate_limit_mode::off;
  unsigned requests = 120;
  std::chrono::seconds window{60};
  /// Leaky bucket: its size, the requests that may arrive at once; 0: `requests`.
  unsigned burst = 0;
  /// The wait the 429 names, in whole seconds: 0: the exact time until a request
  /// would pass (rounded up); else always this (as a front that does not know).
  unsigned fixed_hint_s = 0;
  /// Whether the 429 also carries `Retry-After` (the message always names the wait).
  bool retry_after_header = true;
};

struct simulator_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;            ///< 0: an ephemeral port
  std::string cert_file, key_file;   ///< PEM; empty: a CA and a leaf certificate are generated
  std::vector<std::string> tokens = {"sim-token"};  ///< accepted `Authorization: aivenv1 <token>` values
  std::chrono::milliseconds service_ready_delay{1000};  ///< REBUILDING -> RUNNING after this
  std::size_t threads = 2;
  std::chrono::milliseconds idle_timeout{60000};  ///< idle keep-alive connections are closed after this
  std::size_t record_limit = 100000;  ///< recorded requests kept (the oldest are dropped)
  double random_fault_rate = 0.0;     ///< share of requests (0..1) given a random fault
  std::uint64_t random_seed = 1;      ///< makes the random faults reproducible
  unsigned random_retry_after_s = 1;  ///< the wait the random 429s ask for
  tls_variant tls = tls_variant::normal;  ///< ignored when cert_file/key_file are given
  /// Over the limit: 429 with "Rate limit N exceeded - try again in Ks" and Retry-After.
  rate_limit_options rate_limit;
  /// Reads of a resource created less than this ago answer 404 (eventual consistency).
  std::chrono::milliseconds consistency_delay{0};
  /// Bodies of 1 KiB and more are sent gzip-compressed to a request whose
  /// Accept-Encoding allows it (as the API's front does).
  bool gzip = true;
};

class simulator {
 public:
  /// Starts listening and serving on its own threads; throws on failure
  /// (e.g. the port is taken or the certificate files cannot be read).
  explicit simulator(simulator_options opts = {});
  /// Stops and joins.
  ~simulator();
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  /// Closes the listener and every connection and joins the threads. Idempotent.
  void stop();

  std::uint16_t port() const;
  /// "https://127.0.0.1:PORT" (the host given in the options, if it is not a wildcard).
  std::string base_url() const;
  /// PEM of the CA that signed the server certificate (or the given certificate).
  const std::string& ca_pem() const;
  /// Writes ca_pem() to a new file in `dir` (default: the temporary directory)
  /// and returns its path.
  std::string write_ca_file(const std::string& dir = "") const;
  /// The first accepted token.
  const std::string& token() const;

  // What the server saw.
  std::vector<recorded_request> requests() const;
  void clear_requests();
  std::uint64_t connections_accepted() const;  ///< TCP connections accepted (== TLS handshakes attempted)
  std::uint64_t tls_handshakes() const;        ///< completed handshakes
  std::size_t open_connections() const;
  std::size_t max_open_connections() const;    ///< high-water mark since start or reset_counters()
  std::uint64_t requests_received() const;     ///< every request read, faulted or not
  /// Requests that reached their route handler (authorized, known route and
  /// method) and were not cut short by a fault before it, whose method is
  /// `method` ("" = any) and raw target starts with `path_prefix`. Counted
  /// since start or reset_counters(); independent of record_limit.
  std::uint64_t executed(const std::string& method, const std::string& path_prefix = "") const;
  std::uint64_t faults_injected() const;       ///< requests given a fault (injected or random)
  /// Resets the counters above (max_open_connections() to the current count).
  void reset_counters();

  // Faults, applied in FIFO order to matching requests.
  void inject(fault f);
  void clear_faults();
  std::size_t pending_faults() const;
  /// Closes, from the server side, every keep-alive connection that is waiting
  /// for a request. Returns once they are closed (when called from a thread
  /// other than the simulator's).
  void close_idle_connections();

  // State seeding.
  void add_project(const std::string& name);  ///< project "demo" exists from the start
  void set_service_ready_delay(std::chrono::milliseconds d);
  /// Items in the paged lists of every service (default 0): its databases
  /// (ServiceDatabaseList, `after`/`next` cursor, `maxItems` <= 250) and its
  /// ClickHouse query statistics (ServiceClickHouseQueryStats, `limit` <= 250 and
  /// `offset`). A page size above 250 is refused with 400, as the API does.
  void set_paged_items(std::size_t n);
  /// Appends `n` entries to the log of service `project`/`service` (ProjectGetServiceLogs
  /// pages through it: at most 500 a call, `offset` the position, `sort_order` asc or desc).
  /// A new service starts with 3 entries; a seeded one takes "log_entries": N more.
  /// Throws std::invalid_argument when there is no such service.
  void add_service_logs(const std::string& project, const std::string& service, std::size_t n);
  void set_rate_limit(rate_limit_options o);
  void set_consistency_delay(std::chrono::milliseconds d);
  /// Answers `status` and `body` to every request of `method` on `path_template`, a path
  /// template of the API document ("/v1/project/{project}/service/{service_name}"), until
  /// clear_responses(). An empty body: Aiven's error body for an error status, the
  /// document's sample otherwise. Throws std::invalid_argument when the document has no
  /// such operation.
  void respond(const std::string& method, const std::string& path_template, unsigned status,
               const std::string& body = "");
  void clear_responses();
  /// Creates projects and services from a JSON document (what `aiven-sim --seed` reads):
  /// {"projects":[{"project_name":"p","default_cloud":"aws-eu-west-1",
  ///               "services":[{"service_name":"pg1","service_type":"pg","plan":"startup-4"}]}]}
  /// (a service may add "log_entries": N, entries of its log beyond the first 3)
  /// Seeded services are RUNNING (or "state":"POWEROFF"). Throws std::invalid_argument.
  void seed(const std::string& json_document);

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace aiven::sim
