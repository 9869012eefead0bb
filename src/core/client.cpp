#include "core/call_loop.hpp"
#include "core/client_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <cstdlib>
#include <stdexcept>
#include <strings.h>

namespace aiven {

const char* to_string(http_method m) noexcept {
  switch (m) {
    case http_method::get: return "GET";
    case http_method::head: return "HEAD";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::patch: return "PATCH";
    case http_method::delete_: return "DELETE";
  }
  return "GET";
}

const std::string* raw_response::header(std::string_view name) const noexcept {
  for (auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  return nullptr;
}

// client_options::from_env is in env.cpp.

namespace detail {

client_impl::client_impl(asio::any_io_executor ex, client_options opts)
    : ex_(std::move(ex)), opts_(std::move(opts)), url_(parse_base_url(opts_.base_url, opts_.allow_insecure_http)), pool_(opts_.pool),
      limiter_(opts_.rate_limit, opts_.retry.resume_spread,
               !opts_.rate_limit.adaptive ? nullptr
               : opts_.rate_limit.share_per_token
                   ? governor_for(url_.host_header, opts_.token)
                   : std::make_shared<rate_governor>()),
      seed_(static_cast<std::uint64_t>(clock::now().time_since_epoch().count())) {
  // Header values are sent verbatim: CR/LF would let a value add headers.
  if (has_control_chars(opts_.token)) throw std::invalid_argument("aiven: the token contains control characters");
  if (has_control_chars(opts_.user_agent))
    throw std::invalid_argument("aiven: the user agent contains control characters");
  if (opts_.pool.max_connections == 0) throw std::invalid_argument("aiven: pool.max_connections must be at least 1");
  if (!opts_.token.empty()) authorization_ = "aivenv1 " + opts_.token;
  if (!opts_.rate_limit.shared_redis_url.empty()) {
    auto ep = parse_redis_url(opts_.rate_limit.shared_redis_url);
    if (!ep)
      throw std::invalid_argument("aiven: rate_limit.shared_redis_url is not redis://[[user]:password@]host[:port][/db]");
    if (!opts_.rate_limit.adaptive)
      throw std::invalid_argument("aiven: rate_limit.shared_redis_url needs rate_limit.adaptive (the governor learns the window)");
    shared_ = std::make_unique<shared_budget>(ex_, std::move(*ep), "aiven:rate:" + token_key(url_.host_header, opts_.token),
                                              opts_.rate_limit.shared_timeout);
  }
  endpoint_ = endpoint_info{url_.host, url_.port, url_.tls, opts_.verify_peer};
  if (should_proxy(url_, opts_.proxy, opts_.no_proxy)) {
    auto p = parse_proxy_url(opts_.proxy);
    endpoint_.proxy_host = std::move(p.host);
    endpoint_.proxy_port = std::move(p.port);
    endpoint_.proxy_authorization = std::move(p.authorization);
  }
  if (url_.tls) {
    ssl_.emplace(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (!opts_.ca_file.empty()) {
      ssl_->load_verify_file(opts_.ca_file, ec);
      if (ec) throw std::invalid_argument("aiven: cannot load CA file '" + opts_.ca_file + "': " + ec.message());
    }
    if (!opts_.ca_pem.empty()) {
      ssl_->add_certificate_authority(asio::buffer(opts_.ca_pem), ec);
      if (ec) throw std::invalid_argument("aiven: cannot load the CA PEM: " + ec.message());
    }
    if (opts_.ca_file.empty() && opts_.ca_pem.empty()) ssl_->set_default_verify_paths();
  }
}

asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> client_impl::resolve(clock::time_point deadline) {
  {
    std::lock_guard lk(resolve_mu_);
    if (auto* cached = endpoints_.get(clock::now())) co_return std::pair{error_code{}, *cached};
  }
  // getaddrinfo runs on Asio's resolver thread and cannot be interrupted: the
  // call stops waiting for it at its deadline or cancellation, and a late answer
  // is dropped with this state.
  struct pending {
    explicit pending(const asio::any_io_executor& ex) : resolver(ex), done(ex) {}
    tcp::resolver resolver;
    asio::steady_timer done;
    error_code ec;
    tcp::resolver::results_type results;
    bool finished = false;
  };
  auto p = std::make_shared<pending>(co_await asio::this_coro::executor);
  p->done.expires_at(deadline);
  // Through a proxy only the proxy's address is needed: it resolves the API's host.
  const bool proxied = !endpoint_.proxy_host.empty();
  p->resolver.async_resolve(proxied ? endpoint_.proxy_host : url_.host, proxied ? endpoint_.proxy_port : url_.port,
                            [p](error_code ec, tcp::resolver::results_type r) {
                              p->ec = ec;
                              p->results = std::move(r);
                              p->finished = true;
                              p->done.cancel();
                            });
  const auto [wec] = co_await p->done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!p->finished) {
    p->resolver.cancel();
    co_return std::pair{wec ? error_code(asio::error::operation_aborted) : error_code(errc::timeout),
                        tcp::resolver::results_type{}};
  }
  if (!p->ec) {
    std::lock_guard lk(resolve_mu_);
    endpoints_.store(p->results, clock::now());
  }
  co_return std::pair{p->ec, p->results};
}

asio::awaitable<error_code> pool_transport::wait_until(clock::time_point at) {
  asio::steady_timer timer(co_await asio::this_coro::executor, at);
  const auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return ec;
}

asio::awaitable<std::pair<error_code, lease>> pool_transport::acquire(clock::time_point deadline) {
  return impl_.pool().acquire(deadline);  // not a coroutine: the pool's frame only
}

void pool_transport::release(lease l, bool reusable) { impl_.pool().release(std::move(l), reusable); }

void pool_transport::stale_resend() { impl_.pool().note_stale_retry(); }

asio::awaitable<open_result> pool_transport::open(lease& l, clock::time_point deadline, diagnostics& d) {
  const auto& opts = impl_.options();
  open_result r;
  // Resolution counts against connect_timeout, as connect and handshake do.
  auto resolved = co_await impl_.resolve(std::min(deadline, deadline_after(clock::now(), opts.connect_timeout)));
  if (resolved.first) {
    r.ec = resolved.first;
    d.client_message = "cannot resolve " + impl_.url().host + ": " +
                       (r.ec == errc::timeout ? std::string("timed out") : r.ec.message());
    co_return r;
  }
  l.conn = std::make_unique<connection>(impl_.executor(), impl_.ssl_context());
  const auto connect_deadline = std::min(deadline, deadline_after(clock::now(), opts.connect_timeout));
  r.ec = co_await async_open(*l.conn, resolved.second, impl_.endpoint(), connect_deadline, &d, &r.verify_failed);
  if (r.ec) {
    l.conn.reset();
    // The address may be the one that stopped answering: resolve again next time.
    if (!r.verify_failed) impl_.forget_endpoints();
  } else {
    impl_.pool().note_opened();
  }
  co_return r;
}

void client_impl::forget_endpoints() {
  std::lock_guard lk(resolve_mu_);
  endpoints_.forget();
}

}  // namespace detail

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<detail::client_impl>(std::move(ex), std::move(opts))) {}

client::executor_type client::get_executor() const noexcept { return impl_->executor(); }
const client_options& client::options() const noexcept { return impl_->options(); }
pool_stats client::stats() const {
  auto s = impl_->pool().stats();
  s.retries = impl_->retries.load(std::memory_order_relaxed);
  s.shared_flights = impl_->shared_flights.load(std::memory_order_relaxed);
  s.rate_limited = impl_->rate_limited.load(std::memory_order_relaxed);
  if (auto* g = impl_->admission().governor()) s.rate_pace = g->state(detail::clock::now()).rate;
  if (auto* sb = impl_->shared()) s.shared_limiter_errors = sb->failures();
  {
    std::lock_guard lk(impl_->queue_mu);
    s.waiting += impl_->queued;
  }
  return s;
}
void client::close_idle() { impl_->pool().close_idle(); }

client client::with(call_options opts) const {
  client c = *this;
  if (opts.timeout) c.call_.timeout = opts.timeout;
  if (opts.idempotent) c.call_.idempotent = opts.idempotent;
  if (opts.retry) c.call_.retry = opts.retry;
  if (opts.single_flight) c.call_.single_flight = opts.single_flight;
  if (opts.settle) c.call_.settle = opts.settle;
  return c;
}

}  // namespace aiven
