#include <aiven/sim/simulator.hpp>

#include "core/gzip.hpp"
#include "sim/certs.hpp"
#include "sim/rate_limit.hpp"
#include "sim/state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <unistd.h>

namespace aiven::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using detail::body_ptr;

const char* to_string(fault_kind k) noexcept {
  switch (k) {
    case fault_kind::status: return "status";
    case fault_kind::rate_limit: return "rate_limit";
    case fault_kind::reset_before_headers: return "reset_before_headers";
    case fault_kind::reset_mid_body: return "reset_mid_body";
    case fault_kind::truncated_body: return "truncated_body";
    case fault_kind::slow_headers: return "slow_headers";
    case fault_kind::malformed_json: return "malformed_json";
    case fault_kind::close_after_response: return "close_after_response";
    case fault_kind::raw_response: return "raw_response";
    case fault_kind::trickle: return "trickle";
  }
  return "unknown";
}

namespace {

// Errors are values here: exceptions would cost more than the request itself.
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

constexpr std::chrono::seconds handshake_timeout{10};
constexpr std::chrono::seconds write_timeout{30};
constexpr std::chrono::seconds shutdown_timeout{2};
constexpr std::size_t header_limit = 64 * 1024;
constexpr std::size_t gzip_min_bytes = 1024;  // smaller bodies gain less than the header costs
constexpr std::uint64_t body_limit = 16 * 1024 * 1024;

// Set on the simulator's own threads, where waiting for them would deadlock.
thread_local const void* current_simulator = nullptr;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string rate_limit_message(unsigned retry_after_s, unsigned limit = 120) {
  return "The user has sent too many requests in a given amount of time: Rate limit " + std::to_string(limit) +
         " exceeded - try again in " + std::to_string(retry_after_s) + "s";
}

std::string_view reason_phrase(unsigned status) {
  auto r = http::obsolete_reason(http::int_to_status(status));
  return r == "<unknown-status>" ? std::string_view("Unknown") : std::string_view(r.data(), r.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("aiven-sim: cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_wildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

// How the answer to one request is delivered.
enum class delivery {
  normal,
  reset_before_headers,
  reset_mid_body,
  truncated_body,
  close_after_response,
  raw,
  trickle,
};

}  // namespace

class simulator::impl {
 public:
  explicit impl(simulator_options opts);
  ~impl();

  void stop();

  // Lets close_idle_connections() return once the connections are closed.
  struct close_waiter {
    std::mutex m;
    std::condition_variable cv;
    std::size_t remaining = 0;
    void done() {
      std::lock_guard lock(m);
      if (--remaining == 0) cv.notify_all();
    }
  };

  struct connection : std::enable_shared_from_this<connection> {
    connection(std::uint64_t conn_id, tcp::socket sock, ssl::context& ctx)
        : id(conn_id),
          executor(sock.get_executor()),
          stream(std::move(sock), ctx),
          delay_timer(executor),
          watchdog(executor) {}

    std::uint64_t id;
    asio::any_io_executor executor;  // a strand: every member below is used on it
    beast::ssl_stream<beast::tcp_stream> stream;
    asio::steady_timer delay_timer;
    // Timeouts: one lazily re-armed timer per connection rather than one per
    // socket operation (Beast's expires_after), which would cost two timer
    // updates, i.e. two syscalls, per request.
    asio::steady_timer watchdog;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    void set_deadline(std::chrono::steady_clock::duration d) { deadline = std::chrono::steady_clock::now() + d; }
    void clear_deadline() { deadline = std::chrono::steady_clock::time_point::max(); }
    // Where the connection is in its request cycle, as close_idle_connections() sees it.
    enum class phase { handshake, idle, busy, answering } state = phase::handshake;
    bool closed = false;  // closed by close_idle_connections() or stop()
    // close_idle_connections() found it answering: close once the answer is out.
    std::vector<std::shared_ptr<close_waiter>> close_after_answer;
    std::atomic<bool> counted_open{true};

    void notify_waiters() {
      for (auto& w : close_after_answer) w->done();
      close_after_answer.clear();
    }

    tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }
    // No close_notify: the peer sees the TCP connection end (FIN).
    void close_abruptly() { beast::get_lowest_layer(stream).close(); }
    // SO_LINGER 0: the peer sees a reset (RST).
    void reset() {
      boost::system::error_code ec;
      socket().set_option(asio::socket_base::linger(true, 0), ec);
      beast::get_lowest_layer(stream).close();
    }
  };
  using connection_ptr = std::shared_ptr<connection>;

  // Everything below is touched from the simulator's threads and the user's.
  simulator_options opts_;
  std::string ca_pem_;
  std::string empty_;
  std::uint16_t port_ = 0;
  detail::api_state state_;
  detail::rate_limiter limiter_;

  std::atomic<std::uint64_t> next_connection_id_{1};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> handshakes_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> max_open_{0};
  std::atomic<std::uint64_t> requests_received_{0};
  std::atomic<std::uint64_t> faults_injected_{0};
  std::atomic<std::uint64_t> random_counter_{0};

  mutable std::mutex record_mutex_;
  std::deque<recorded_request> records_;
  std::unordered_map<std::string, std::uint64_t> executed_;  // "METHOD target" -> count

  mutable std::mutex faults_mutex_;
  std::deque<fault> faults_;
  std::atomic<std::size_t> fault_count_{0};  // faults_.size(), read without the lock

  std::mutex conns_mutex_;
  std::unordered_map<std::uint64_t, connection_ptr> conns_;
  bool stopping_ = false;  // guarded by conns_mutex_

  std::mutex live_mutex_;
  std::condition_variable live_cv_;
  std::size_t live_ = 0;  // running coroutines (accept loop + connections)

  std::atomic<bool> stopped_{false};
  ssl::context ssl_ctx_{ssl::context::tls_server};

  // Declared after what its pending handlers reference, before what uses it:
  // its destructor destroys suspended coroutines, which unregister themselves.
  asio::io_context ioc_;
  asio::any_io_executor acceptor_executor_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  void setup_tls();
  void setup_tls_variant();
  asio::awaitable<void> write_trickled(connection& c, const std::string& out, std::chrono::milliseconds every);
  void watch(const connection_ptr& c);
  void note_open();
  void release_open(connection& c);
  void live_add() {
    std::lock_guard lock(live_mutex_);
    ++live_;
  }
  void live_done() {
    std::lock_guard lock(live_mutex_);
    if (--live_ == 0) live_cv_.notify_all();
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(connection_ptr c);
  // One request, step by step: who asks, which fault (if any), the answer, its bytes, their delivery.
  struct answer {
    unsigned status = 200;
    body_ptr body;
    delivery mode = delivery::normal;
    const std::vector<std::pair<std::string, std::string>>* extra_headers = nullptr;
    std::string retry_after;
    std::string_view content_type = "application/json";
    bool not_modelled = false;
    unsigned limit = 120;  // N of the rate limit message
  };
  asio::awaitable<bool> handle(connection& c, http::request<http::string_body>& req);
  std::string_view authorize(const http::request<http::string_body>& req, recorded_request& rec) const;
  std::optional<fault> choose_fault(recorded_request& rec, std::string_view token, answer& a);
  void execute(const http::request<http::string_body>& req, recorded_request& rec, answer& a);
  asio::awaitable<bool> apply_fault(connection& c, const http::request<http::string_body>& req, recorded_request& rec,
                                    const fault& f, answer& a);
  static std::string format_answer(const answer& a, bool head, bool keep_alive, bool compress);
  asio::awaitable<bool> deliver(connection& c, const answer& a, const std::string& out, bool keep_alive,
                                std::chrono::milliseconds trickle_every);
  asio::awaitable<void> send_error_and_close(connection& c, unsigned status, std::string_view message);

  std::optional<fault> take_fault(std::string_view method, std::string_view target);
  std::optional<fault> random_fault();
  void record(recorded_request&& r);
  std::vector<connection_ptr> snapshot_connections();
};

simulator::impl::impl(simulator_options opts) : opts_(std::move(opts)), state_(opts_.service_ready_delay) {
  if (opts_.threads == 0) opts_.threads = 1;
  setup_tls();
  state_.set_ca_pem(ca_pem_);
  state_.set_consistency_delay(opts_.consistency_delay);
  limiter_.configure(opts_.rate_limit);

  acceptor_executor_ = asio::make_strand(ioc_);
  acceptor_.emplace(acceptor_executor_);
  tcp::endpoint ep(asio::ip::make_address(opts_.host.empty() ? "127.0.0.1" : opts_.host), opts_.port);
  acceptor_->open(ep.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_->local_endpoint().port();

  work_.emplace(ioc_.get_executor());
  live_add();
  asio::co_spawn(acceptor_executor_, accept_loop(), asio::detached);
  threads_.reserve(opts_.threads);
  try {
    for (std::size_t i = 0; i < opts_.threads; ++i) {
      threads_.emplace_back([this] {
        current_simulator = this;
        ioc_.run();
      });
    }
  } catch (...) {
    stop();  // joins the threads already started
    throw;
  }
}

simulator::impl::~impl() {
  stop();
  // Suspended coroutines hold connections: destroy them while the registry
  // and the counters they touch still exist.
  acceptor_.reset();
  work_.reset();
  conns_.clear();
}

void simulator::impl::setup_tls() {
  SSL_CTX* native = ssl_ctx_.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  // Lets clients resume TLS 1.2 sessions (TLS 1.3 uses tickets).
  static constexpr unsigned char sid_ctx[] = "aiven-sim";
  SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1);

  if (!opts_.cert_file.empty() || !opts_.key_file.empty()) {
    if (opts_.cert_file.empty() || opts_.key_file.empty())
      throw std::invalid_argument("aiven-sim: cert_file and key_file go together");
    ca_pem_ = read_file(opts_.cert_file);
    ssl_ctx_.use_certificate_chain(asio::buffer(ca_pem_));
    std::string key = read_file(opts_.key_file);
    ssl_ctx_.use_private_key(asio::buffer(key), ssl::context::pem);
  } else if (opts_.tls != tls_variant::normal) {
    setup_tls_variant();
  } else {
    auto certs = detail::generate_certs({opts_.host});
    ca_pem_ = certs.ca_cert_pem;
    ssl_ctx_.use_certificate_chain(asio::buffer(certs.server_cert_pem));
    ssl_ctx_.use_private_key(asio::buffer(certs.server_key_pem), ssl::context::pem);
  }
}

void simulator::impl::stop() {
  if (stopped_.exchange(true)) return;
  std::vector<connection_ptr> conns;
  {
    std::lock_guard lock(conns_mutex_);
    stopping_ = true;
    conns.reserve(conns_.size());
    for (auto& [id, c] : conns_) conns.push_back(c);
  }
  asio::post(acceptor_executor_, [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
  });
  for (auto& c : conns) {
    asio::post(c->executor, [this, c] {
      c->closed = true;
      c->delay_timer.cancel();
      c->close_abruptly();
      release_open(*c);
    });
  }
  work_.reset();
  // Every coroutine ends once its socket is closed; the bound only matters if
  // stop() is called from one of the simulator's own threads.
  {
    std::unique_lock lock(live_mutex_);
    live_cv_.wait_for(lock, current_simulator == this ? std::chrono::seconds(0) : std::chrono::seconds(5),
                      [this] { return live_ == 0; });
  }
  ioc_.stop();
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else if (t.joinable())
      t.join();
  }
  threads_.clear();
}

void simulator::impl::note_open() {
  std::size_t now = open_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::size_t prev = max_open_.load(std::memory_order_relaxed);
  while (prev < now && !max_open_.compare_exchange_weak(prev, now, std::memory_order_relaxed)) {
  }
}

void simulator::impl::release_open(connection& c) {
  if (c.counted_open.exchange(false)) open_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<simulator::impl::connection_ptr> simulator::impl::snapshot_connections() {
  std::lock_guard lock(conns_mutex_);
  std::vector<connection_ptr> out;
  out.reserve(conns_.size());
  for (auto& [id, c] : conns_) out.push_back(c);
  return out;
}

void simulator::impl::watch(const connection_ptr& c) {
  // Wakes at the deadline, or every second while there is none; a deadline
  // that moved later in the meantime just re-arms it.
  auto now = std::chrono::steady_clock::now();
  c->watchdog.expires_at(c->deadline == std::chrono::steady_clock::time_point::max() ? now + std::chrono::seconds(1)
                                                                                     : c->deadline);
  c->watchdog.async_wait([this, weak = std::weak_ptr<connection>(c)](boost::system::error_code ec) {
    auto c = weak.lock();
    if (ec || !c || c->closed) return;
    if (std::chrono::steady_clock::now() >= c->deadline) {
      c->closed = true;
      c->delay_timer.cancel();
      c->close_abruptly();
      release_open(*c);
      c->notify_waiters();
      return;
    }
    watch(c);
  });
}

asio::awaitable<void> simulator::impl::accept_loop() {
  struct done_guard {
    impl* self;
    ~done_guard() { self->live_done(); }
  } guard{this};

  for (;;) {
    // One strand per connection: its coroutine and the closes that
    // close_idle_connections()/stop() post to it never run concurrently.
    asio::any_io_executor strand = asio::make_strand(ioc_);
    auto [ec, sock] = co_await acceptor_->async_accept(strand, nothrow_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      // Out of descriptors and the like: back off instead of spinning.
      asio::steady_timer t(acceptor_executor_, std::chrono::milliseconds(10));
      co_await t.async_wait(nothrow_awaitable);
      continue;
    }
    accepted_.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    auto c = std::make_shared<connection>(next_connection_id_.fetch_add(1, std::memory_order_relaxed),
                                          std::move(sock), ssl_ctx_);
    note_open();
    {
      std::lock_guard lock(conns_mutex_);
      if (stopping_) {
        c->close_abruptly();
        release_open(*c);
        co_return;
      }
      conns_.emplace(c->id, c);
    }
    live_add();
    asio::co_spawn(c->executor, serve(c), asio::detached);
  }
}

asio::awaitable<void> simulator::impl::serve(connection_ptr c) {
  struct done_guard {
    impl* self;
    connection_ptr c;
    ~done_guard() {
      c->watchdog.cancel();
      c->notify_waiters();
      self->release_open(*c);
      {
        std::lock_guard lock(self->conns_mutex_);
        self->conns_.erase(c->id);
      }
      self->live_done();
    }
  } guard{this, c};

  c->set_deadline(handshake_timeout);
  watch(c);
  if (opts_.tls == tls_variant::no_handshake && opts_.cert_file.empty()) {
    // Hold the connection without a word until the handshake timeout closes it.
    c->delay_timer.expires_after(handshake_timeout + std::chrono::seconds(1));
    (void)co_await c->delay_timer.async_wait(nothrow_awaitable);
    co_return;
  }
  auto [hec] = co_await c->stream.async_handshake(ssl::stream_base::server, nothrow_awaitable);
  if (hec || c->closed) co_return;
  handshakes_.fetch_add(1, std::memory_order_relaxed);

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);

    c->state = connection::phase::idle;
    c->set_deadline(opts_.idle_timeout);
    // Only after the handshake or a fault's delay: in steady state each
    // deadline is later than the wake-up already armed.
    if (c->deadline < c->watchdog.expiry()) watch(c);
    auto [ec, n] = co_await http::async_read_header(c->stream, buffer, parser, nothrow_awaitable);
    c->state = connection::phase::busy;
    if (c->closed) co_return;
    if (ec) {
      // A malformed request gets an answer; a vanished or timed-out client does not.
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message)
        co_await send_error_and_close(*c, 400, "Bad request");
      co_return;
    }

    if (!parser.is_done()) {
      auto expect = parser.get()[http::field::expect];
      if (beast::iequals(expect, "100-continue")) {
        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
        c->set_deadline(write_timeout);
        auto [wec, wn] = co_await asio::async_write(c->stream, asio::buffer(cont), nothrow_awaitable);
        if (wec || c->closed) co_return;
      }
      c->set_deadline(opts_.idle_timeout);
      auto [bec, bn] = co_await http::async_read(c->stream, buffer, parser, nothrow_awaitable);
      if (c->closed) co_return;
      if (bec) {
        if (bec == http::error::body_limit) co_await send_error_and_close(*c, 413, "Request body too large");
        co_return;
      }
    }

    auto req = parser.release();
    c->clear_deadline();  // a slow_headers fault may take as long as it was told to
    if (!co_await handle(*c, req)) co_return;
  }
}

asio::awaitable<void> simulator::impl::send_error_and_close(connection& c, unsigned status, std::string_view message) {
  std::string body = detail::error_body(message, status);
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
  c.set_deadline(write_timeout);
  if (c.deadline < c.watchdog.expiry()) watch(c.shared_from_this());
  (void)co_await asio::async_write(c.stream, asio::buffer(out), nothrow_awaitable);
  c.close_abruptly();
}

std::string_view simulator::impl::authorize(const http::request<http::string_body>& req, recorded_request& rec) const {
  // `Authorization: aivenv1 <token>`; the token itself is never kept.
  auto auth = req[http::field::authorization];
  constexpr std::string_view scheme = "aivenv1 ";
  if (auth.size() <= scheme.size() || !beast::iequals(auth.substr(0, scheme.size()), scheme)) return {};
  rec.had_token = true;
  std::string_view tok(auth.data() + scheme.size(), auth.size() - scheme.size());
  for (const auto& t : opts_.tokens)
    if (t == tok) rec.authorized = true;
  return tok;
}

std::optional<fault> simulator::impl::choose_fault(recorded_request& rec, std::string_view token, answer& a) {
  std::optional<fault> f = take_fault(rec.method, rec.target);
  if (!f) f = random_fault();
  if (f) {
    faults_injected_.fetch_add(1, std::memory_order_relaxed);
    rec.faulted = true;
    rec.fault = f->kind;
    return f;
  }
  // Aiven's own limiter, when enabled: the answer a client gets for going too fast (not a fault).
  if (auto wait = limiter_.admit(std::string(token), std::chrono::steady_clock::now())) {
    f.emplace();
    f->kind = fault_kind::rate_limit;
    f->retry_after_s = *wait;
    const auto rl = limiter_.options();
    f->with_retry_after_header = rl.retry_after_header;
    a.limit = rl.requests;
  }
  return f;
}

void simulator::impl::execute(const http::request<http::string_body>& req, recorded_request& rec, answer& a) {
  auto r = state_.handle(rec.method, rec.target, req.body(), rec.authorized);
  a.status = r.status;
  a.body = std::move(r.body);
  a.content_type = r.content_type;
  a.not_modelled = r.not_modelled;
  rec.executed = r.executed;
}

asio::awaitable<bool> simulator::impl::apply_fault(connection& c, const http::request<http::string_body>& req,
                                                   recorded_request& rec, const fault& f, answer& a) {
  switch (f.kind) {
    case fault_kind::reset_before_headers:
      a.mode = delivery::reset_before_headers;
      break;
    case fault_kind::status:
      a.status = f.status;
      a.body = std::make_shared<const std::string>(f.body.empty() ? detail::error_body(reason_phrase(a.status), a.status)
                                                                  : f.body);
      a.extra_headers = &f.headers;
      break;
    case fault_kind::rate_limit:
      a.status = 429;
      a.body = std::make_shared<const std::string>(detail::error_body(rate_limit_message(f.retry_after_s, a.limit), 429));
      if (f.with_retry_after_header) a.retry_after = std::to_string(f.retry_after_s);
      a.extra_headers = &f.headers;
      break;
    case fault_kind::slow_headers:
      c.delay_timer.expires_after(f.delay);
      (void)co_await c.delay_timer.async_wait(nothrow_awaitable);
      if (c.closed) co_return false;
      execute(req, rec, a);
      a.extra_headers = &f.headers;
      break;
    case fault_kind::malformed_json: {
      execute(req, rec, a);
      a.status = 200;
      // Cut mid-value, then something no JSON parser accepts.
      std::string bad = a.body->substr(0, a.body->size() / 2) + "<html>502 Bad Gateway</html>";
      a.body = std::make_shared<const std::string>(std::move(bad));
      break;
    }
    case fault_kind::reset_mid_body:
      execute(req, rec, a);
      a.mode = delivery::reset_mid_body;
      break;
    case fault_kind::truncated_body:
      execute(req, rec, a);
      a.mode = delivery::truncated_body;
      break;
    case fault_kind::close_after_response:
      execute(req, rec, a);
      a.mode = delivery::close_after_response;
      break;
    case fault_kind::raw_response:
      a.mode = delivery::raw;
      break;
    case fault_kind::trickle:
      execute(req, rec, a);
      a.mode = delivery::trickle;
      break;
  }
  co_return true;
}

std::string simulator::impl::format_answer(const answer& a, bool head, bool keep_alive, bool compress) {
  // gzip for a client that accepts it, as the API's front does; not for the
  // delivery faults, which cut the body at a byte count of the plain one.
  body_ptr gz;
  if (compress && !head && (a.mode == delivery::normal || a.mode == delivery::trickle) &&
      a.body->size() >= gzip_min_bytes)
    gz = std::make_shared<const std::string>(::aiven::detail::gzip_compress(*a.body, 1));
  const std::string& body = gz ? *gz : *a.body;
  std::size_t body_bytes = body.size();
  if (head) body_bytes = 0;  // the length is announced, the body never sent
  if (a.mode == delivery::reset_mid_body) body_bytes /= 2;
  if (a.mode == delivery::truncated_body) body_bytes = body_bytes * 2 / 3;

  // One contiguous buffer: beast::ssl_stream (flat_stream) in Boost 1.81 loses
  // the tail of a multi-buffer write above 16 KB, and one buffer also means
  // fewer TLS records for the common small answer.
  std::string out;
  out.reserve(160 + body_bytes);
  out += "HTTP/1.1 ";
  out += std::to_string(a.status);
  out += ' ';
  out += reason_phrase(a.status);
  out += "\r\nContent-Type: ";
  out += a.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  if (gz) out += "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
  if (a.not_modelled) out += "X-Aiven-Sim: not-modelled\r\n";
  if (!a.retry_after.empty()) {
    out += "Retry-After: ";
    out += a.retry_after;
    out += "\r\n";
  }
  if (a.extra_headers != nullptr) {
    for (const auto& [name, value] : *a.extra_headers) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
  }
  if (!keep_alive && (a.mode == delivery::normal || a.mode == delivery::trickle)) out += "Connection: close\r\n";
  out += "\r\n";
  out.append(body, 0, body_bytes);
  return out;
}

asio::awaitable<bool> simulator::impl::deliver(connection& c, const answer& a, const std::string& out, bool keep_alive,
                                               std::chrono::milliseconds trickle_every) {
  c.set_deadline(write_timeout);
  // Once the answer is on its way the client may see the connection as idle.
  c.state = connection::phase::answering;
  if (a.mode == delivery::trickle) {
    co_await write_trickled(c, out, trickle_every);
    co_return false;  // a client that waited this long has given up; do not keep the connection
  }
  auto [wec, wn] = co_await asio::async_write(c.stream, asio::buffer(out), nothrow_awaitable);
  if (wec || c.closed) co_return false;
  if (!c.close_after_answer.empty()) {
    c.closed = true;
    c.close_abruptly();
    release_open(c);
    c.notify_waiters();
    co_return false;
  }
  switch (a.mode) {
    case delivery::reset_mid_body:
      c.reset();
      co_return false;
    case delivery::truncated_body:
    case delivery::close_after_response:
      c.close_abruptly();
      co_return false;
    default:
      break;
  }
  if (keep_alive) co_return true;

  // The client asked to close: say goodbye properly, briefly.
  release_open(c);
  c.set_deadline(shutdown_timeout);
  if (c.deadline < c.watchdog.expiry()) watch(c.shared_from_this());
  (void)co_await c.stream.async_shutdown(nothrow_awaitable);
  c.close_abruptly();
  co_return false;
}

asio::awaitable<bool> simulator::impl::handle(connection& c, http::request<http::string_body>& req) {
  requests_received_.fetch_add(1, std::memory_order_relaxed);
  recorded_request rec;
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  rec.connection_id = c.id;
  const std::string_view token = authorize(req, rec);
  answer a;
  const std::optional<fault> f = choose_fault(rec, token, a);
  if (!f) {
    execute(req, rec, a);
  } else if (!co_await apply_fault(c, req, rec, *f, a)) {
    co_return false;
  }

  // Recorded before anything is sent: a client that has its answer can rely
  // on requests() and executed() including it.
  rec.status = a.mode == delivery::reset_before_headers ? 0 : a.status;
  rec.body = std::move(req.body());
  record(std::move(rec));

  if (a.mode == delivery::reset_before_headers) {
    c.reset();
    co_return false;
  }
  if (a.mode == delivery::raw) {
    c.set_deadline(write_timeout);
    c.state = connection::phase::answering;
    (void)co_await asio::async_write(c.stream, asio::buffer(f->body), nothrow_awaitable);
    c.close_abruptly();
    co_return false;
  }
  const bool keep_alive = req.keep_alive();
  const auto ae = req.find(http::field::accept_encoding);
  const bool compress = opts_.gzip && ae != req.end() && ::aiven::detail::accepts_gzip(ae->value());
  const std::string out = format_answer(a, req.method() == http::verb::head, keep_alive, compress);
  co_return co_await deliver(c, a, out, keep_alive, f ? f->delay : std::chrono::milliseconds(0));
}

void simulator::impl::setup_tls_variant() {
  detail::cert_profile profile;
  switch (opts_.tls) {
    case tls_variant::expired_certificate:
      profile.expired = true;
      profile.only_names = {"127.0.0.1", "::1", "localhost"};
      break;
    case tls_variant::wrong_host_name:
      profile.only_names = {"other.invalid"};
      break;
    case tls_variant::legacy_tls_only: {
      profile.only_names = {"127.0.0.1", "::1", "localhost"};
      SSL_CTX* native = ssl_ctx_.native_handle();
      SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(native, TLS1_1_VERSION);
      // OpenSSL 3 refuses TLS 1.0/1.1 above security level 0.
      SSL_CTX_set_security_level(native, 0);
      SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
      break;
    }
    case tls_variant::no_handshake:
    case tls_variant::normal:
      profile.only_names = {"127.0.0.1", "::1", "localhost"};
      break;
  }
  auto certs = detail::generate_certs(profile);
  ca_pem_ = certs.ca_cert_pem;
  ssl_ctx_.use_certificate_chain(asio::buffer(certs.server_cert_pem));
  ssl_ctx_.use_private_key(asio::buffer(certs.server_key_pem), ssl::context::pem);
}

asio::awaitable<void> simulator::impl::write_trickled(connection& c, const std::string& out,
                                                      std::chrono::milliseconds every) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    c.set_deadline(write_timeout + every);
    auto [wec, wn] = co_await asio::async_write(c.stream, asio::buffer(out.data() + i, 1), nothrow_awaitable);
    if (wec || c.closed) co_return;
    c.delay_timer.expires_after(every);
    (void)co_await c.delay_timer.async_wait(nothrow_awaitable);
    if (c.closed) co_return;
  }
  c.close_abruptly();
}

std::optional<fault> simulator::impl::take_fault(std::string_view method, std::string_view target) {
  if (fault_count_.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::lock_guard lock(faults_mutex_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (!target.starts_with(it->path_prefix)) continue;
    fault f = *it;
    if (it->count > 0 && --it->count == 0) {
      faults_.erase(it);
      fault_count_.store(faults_.size(), std::memory_order_release);
    }
    return f;
  }
  return std::nullopt;
}

std::optional<fault> simulator::impl::random_fault() {
  if (opts_.random_fault_rate <= 0.0) return std::nullopt;
  // A counter hashed with the seed: the sequence of decisions is the same on
  // every run, and no lock is shared between threads.
  std::uint64_t n = random_counter_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t h = splitmix64(opts_.random_seed ^ splitmix64(n));
  double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  if (u >= opts_.random_fault_rate) return std::nullopt;
  fault f;
  f.count = 1;
  switch (splitmix64(h) % 9) {
    case 0: f.kind = fault_kind::reset_before_headers; break;
    case 1: f.kind = fault_kind::reset_mid_body; break;
    case 2: f.kind = fault_kind::truncated_body; break;
    case 3: f.kind = fault_kind::rate_limit; f.with_retry_after_header = true; break;
    case 4: f.kind = fault_kind::rate_limit; f.with_retry_after_header = false; break;
    case 5: f.kind = fault_kind::status; f.status = 500; break;
    case 6: f.kind = fault_kind::status; f.status = 502; break;
    case 7: f.kind = fault_kind::status; f.status = 503; break;
    default: f.kind = fault_kind::malformed_json; break;
  }
  f.retry_after_s = opts_.random_retry_after_s;
  return f;
}

void simulator::impl::record(recorded_request&& r) {
  std::string key;
  if (r.executed) {
    key.reserve(r.method.size() + 1 + r.target.size());
    key += r.method;
    key += ' ';
    key += r.target;
  }
  std::lock_guard lock(record_mutex_);
  if (r.executed) ++executed_[key];
  if (opts_.record_limit == 0) return;
  if (records_.size() >= opts_.record_limit) records_.pop_front();
  records_.push_back(std::move(r));
}

// ---------------------------------------------------------------------------

simulator::simulator(simulator_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

simulator::~simulator() = default;

void simulator::stop() { impl_->stop(); }

std::uint16_t simulator::port() const { return impl_->port_; }

std::string simulator::base_url() const {
  const std::string& h = impl_->opts_.host;
  std::string host;
  if (is_wildcard(h))
    host = h == "::" ? "[::1]" : "127.0.0.1";
  else if (h.find(':') != std::string::npos)
    host = "[" + h + "]";
  else
    host = h;
  return "https://" + host + ":" + std::to_string(impl_->port_);
}

const std::string& simulator::ca_pem() const { return impl_->ca_pem_; }

std::string simulator::write_ca_file(const std::string& dir) const {
  std::filesystem::path d = dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(dir);
  std::string templ = (d / "aiven-sim-ca-XXXXXX.pem").string();
  int fd = ::mkstemps(templ.data(), 4);
  if (fd < 0) throw std::runtime_error("aiven-sim: cannot create a file in " + d.string());
  const std::string& pem = impl_->ca_pem_;
  std::size_t done = 0;
  while (done < pem.size()) {
    ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("aiven-sim: cannot write " + templ);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return templ;
}

const std::string& simulator::token() const {
  return impl_->opts_.tokens.empty() ? impl_->empty_ : impl_->opts_.tokens.front();
}

std::vector<recorded_request> simulator::requests() const {
  std::lock_guard lock(impl_->record_mutex_);
  return {impl_->records_.begin(), impl_->records_.end()};
}

void simulator::clear_requests() {
  std::lock_guard lock(impl_->record_mutex_);
  impl_->records_.clear();
}

std::uint64_t simulator::connections_accepted() const { return impl_->accepted_.load(); }
std::uint64_t simulator::tls_handshakes() const { return impl_->handshakes_.load(); }
std::size_t simulator::open_connections() const { return impl_->open_.load(); }
std::size_t simulator::max_open_connections() const { return impl_->max_open_.load(); }
std::uint64_t simulator::requests_received() const { return impl_->requests_received_.load(); }
std::uint64_t simulator::faults_injected() const { return impl_->faults_injected_.load(); }

std::uint64_t simulator::executed(const std::string& method, const std::string& path_prefix) const {
  std::lock_guard lock(impl_->record_mutex_);
  std::uint64_t total = 0;
  for (const auto& [key, count] : impl_->executed_) {
    std::string_view k(key);
    auto space = k.find(' ');
    if (!method.empty() && k.substr(0, space) != method) continue;
    if (!k.substr(space + 1).starts_with(path_prefix)) continue;
    total += count;
  }
  return total;
}

void simulator::reset_counters() {
  impl_->accepted_.store(0);
  impl_->handshakes_.store(0);
  impl_->requests_received_.store(0);
  impl_->faults_injected_.store(0);
  impl_->max_open_.store(impl_->open_.load());
  std::lock_guard lock(impl_->record_mutex_);
  impl_->executed_.clear();
}

void simulator::inject(fault f) {
  if (f.count == 0) return;
  std::lock_guard lock(impl_->faults_mutex_);
  impl_->faults_.push_back(std::move(f));
  impl_->fault_count_.store(impl_->faults_.size(), std::memory_order_release);
}

void simulator::clear_faults() {
  std::lock_guard lock(impl_->faults_mutex_);
  impl_->faults_.clear();
  impl_->fault_count_.store(0, std::memory_order_release);
}

std::size_t simulator::pending_faults() const {
  std::lock_guard lock(impl_->faults_mutex_);
  return impl_->faults_.size();
}

void simulator::close_idle_connections() {
  auto conns = impl_->snapshot_connections();
  if (conns.empty()) return;
  using connection = impl::connection;
  auto w = std::make_shared<impl::close_waiter>();
  w->remaining = conns.size();
  impl* self = impl_.get();
  for (auto& c : conns) {
    asio::post(c->executor, [self, c, w] {
      if (!c->closed && c->state == connection::phase::idle) {
        c->closed = true;
        c->close_abruptly();
        self->release_open(*c);
      } else if (!c->closed && c->state == connection::phase::answering) {
        c->close_after_answer.push_back(w);  // done() once it is closed
        return;
      }
      w->done();
    });
  }
  if (current_simulator == impl_.get()) return;
  // Bounded: after stop() the posted closes never run.
  std::unique_lock lock(w->m);
  w->cv.wait_for(lock, std::chrono::seconds(5), [&] { return w->remaining == 0; });
}

void simulator::add_project(const std::string& name) { impl_->state_.add_project(name); }

void simulator::set_service_ready_delay(std::chrono::milliseconds d) { impl_->state_.set_service_ready_delay(d); }

void simulator::set_paged_items(std::size_t n) { impl_->state_.set_paged_items(n); }

void simulator::add_service_logs(const std::string& project, const std::string& service, std::size_t n) {
  if (!impl_->state_.add_service_logs(project, service, n))
    throw std::invalid_argument("aiven-sim: no service " + project + "/" + service);
}

void simulator::set_rate_limit(rate_limit_options o) { impl_->limiter_.configure(o); }

void simulator::set_consistency_delay(std::chrono::milliseconds d) { impl_->state_.set_consistency_delay(d); }

void simulator::respond(const std::string& method, const std::string& path_template, unsigned status,
                        const std::string& body) {
  if (!impl_->state_.respond(method, path_template, status, body))
    throw std::invalid_argument("aiven-sim: the API document has no operation " + method + " " + path_template);
}

void simulator::clear_responses() { impl_->state_.clear_responses(); }

void simulator::seed(const std::string& json_document) { impl_->state_.seed(json_document); }

}  // namespace aiven::sim
