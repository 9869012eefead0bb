#include "core/call.hpp"
#include "core/client_impl.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

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

client_options client_options::from_env() {
  client_options o;
  if (const char* t = std::getenv("AIVEN_TOKEN"); t && *t) o.token = t;
  if (const char* u = std::getenv("AIVEN_WEB_URL"); u && *u) o.base_url = u;
  return o;
}

namespace detail {
namespace {

bool has_control_chars(std::string_view s) {
  for (unsigned char ch : s)
    if (ch < 0x20 || ch == 0x7f) return true;
  return false;
}

http::verb to_verb(http_method m) {
  switch (m) {
    case http_method::get: return http::verb::get;
    case http_method::head: return http::verb::head;
    case http_method::post: return http::verb::post;
    case http_method::put: return http::verb::put;
    case http_method::patch: return http::verb::patch;
    case http_method::delete_: return http::verb::delete_;
  }
  return http::verb::get;
}

}  // namespace

client_impl::client_impl(asio::any_io_executor ex, client_options opts)
    : ex_(std::move(ex)), opts_(std::move(opts)), url_(parse_base_url(opts_.base_url)), pool_(opts_.pool) {
  // Header values are sent verbatim: CR/LF would let a value add headers.
  if (has_control_chars(opts_.token)) throw std::invalid_argument("aiven: the token contains control characters");
  if (has_control_chars(opts_.user_agent))
    throw std::invalid_argument("aiven: the user agent contains control characters");
  if (opts_.pool.max_connections == 0) throw std::invalid_argument("aiven: pool.max_connections must be at least 1");
  if (!opts_.token.empty()) authorization_ = "aivenv1 " + opts_.token;
  endpoint_ = endpoint_info{url_.host, url_.port, url_.tls, opts_.verify_peer};
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

asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> client_impl::resolve() {
  {
    std::lock_guard lk(resolve_mu_);
    if (endpoints_) co_return std::pair{error_code{}, *endpoints_};
  }
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto r = co_await resolver.async_resolve(url_.host, url_.port, asio::as_tuple(asio::use_awaitable));
  if (!std::get<0>(r)) {
    std::lock_guard lk(resolve_mu_);
    endpoints_ = std::get<1>(r);
  }
  co_return std::pair{std::get<0>(r), std::get<1>(r)};
}

void client_impl::forget_endpoints() {
  std::lock_guard lk(resolve_mu_);
  endpoints_.reset();
}

namespace {

struct call_spec {
  std::string operation_id;
  http_method method = http_method::get;
  std::string target;
  std::string body;
  std::string content_type;
  std::string accept;
};

void parse_error_body(const std::string& body, diagnostics& d) {
  error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return;
  auto& o = v.get_object();
  if (auto* m = o.if_contains("message"); m && m->is_string()) d.message = m->get_string();
  if (auto* e = o.if_contains("errors"); e && e->is_array()) {
    for (auto& item : e->get_array()) {
      if (!item.is_object()) continue;
      api_error_item it;
      auto& io = item.get_object();
      if (auto* m = io.if_contains("message"); m && m->is_string()) it.message = m->get_string();
      if (auto* s = io.if_contains("status"); s && s->is_int64()) it.status = static_cast<int>(s->get_int64());
      if (auto* c = io.if_contains("error_code"); c && c->is_string()) it.error_code = c->get_string();
      if (auto* c = io.if_contains("more_info"); c && c->is_string()) it.more_info = c->get_string();
      d.errors.push_back(std::move(it));
    }
  }
}

asio::awaitable<std::pair<error_code, raw_response>> run_call(std::shared_ptr<client_impl> keep, call_spec spec,
                                                              std::chrono::milliseconds timeout, diagnostics* diag) {
  client_impl* impl = keep.get();
  diagnostics local;
  diagnostics& d = diag ? *diag : local;
  d.clear();
  d.operation = spec.operation_id;
  d.method = to_string(spec.method);
  d.path = spec.target;
  const auto deadline = clock::now() + timeout;
  auto& pool = impl->pool();
  const auto& opts = impl->options();

  http::request<http::string_body> req{to_verb(spec.method), impl->url().path_prefix + spec.target, 11};
  req.set(http::field::host, impl->url().host_header);
  req.set(http::field::user_agent, opts.user_agent);
  if (!spec.accept.empty()) req.set(http::field::accept, spec.accept);
  if (!impl->authorization().empty()) req.set(http::field::authorization, impl->authorization());
  if (!spec.body.empty()) {
    req.set(http::field::content_type, spec.content_type.empty() ? "application/json" : spec.content_type);
    req.body() = std::move(spec.body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  auto acquired = co_await pool.acquire(deadline);
  error_code aec = acquired.first;
  lease l = std::move(acquired.second);
  if (aec) {
    if (aec == errc::timeout) d.client_message = "no pooled connection became free before the deadline";
    co_return std::pair{aec, raw_response{}};
  }
  exchange_result r;
  for (;;) {
    if (!l.conn) {
      auto resolved = co_await impl->resolve();
      const error_code rec = resolved.first;
      const auto& endpoints = resolved.second;
      if (rec) {
        d.client_message = "cannot resolve " + impl->url().host + ": " + rec.message();
        pool.release(std::move(l), false);
        co_return std::pair{rec, raw_response{}};
      }
      l.conn = std::make_unique<connection>(impl->executor(), impl->ssl_context());
      auto connect_deadline = std::min(deadline, clock::now() + opts.connect_timeout);
      if (auto oec = co_await async_open(*l.conn, endpoints, impl->endpoint(), connect_deadline, &d)) {
        pool.release(std::move(l), false);
        if (oec == asio::error::connection_refused) impl->forget_endpoints();
        co_return std::pair{oec, raw_response{}};
      }
      pool.note_opened();
    }
    ++d.attempts;
    r = co_await async_exchange(*l.conn, req, opts.max_body_size, deadline);
    if (r.ec && l.reused && !r.response_started && r.ec != errc::timeout && r.ec != asio::error::operation_aborted) {
      // The server closed this idle keep-alive connection before reading the
      // request: it never saw it, so it is sent again on a fresh connection.
      pool.note_stale_retry();
      l.conn.reset();
      l.reused = false;
      continue;
    }
    break;
  }
  pool.release(std::move(l), !r.ec && r.keep_alive);

  raw_response out;
  if (r.ec) {
    if (r.ec == errc::timeout)
      d.client_message = "no complete response before the deadline";
    else if (r.ec == errc::body_too_large)
      d.client_message = "response body larger than " + std::to_string(opts.max_body_size) + " bytes";
    else if (r.ec != asio::error::operation_aborted)
      d.client_message = (r.response_started ? "connection failed while reading the response: "
                                             : "connection failed before a response arrived: ") +
                         r.ec.message();
    co_return std::pair{r.ec, std::move(out)};
  }
  out.status = r.response.result_int();
  out.headers.reserve(8);
  for (auto& f : r.response) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(r.response.body());
  d.http_status = out.status;
  if (auto* id = out.header("x-request-id")) d.request_id = *id;
  if (out.status >= 200 && out.status < 300) co_return std::pair{error_code{}, std::move(out)};
  parse_error_body(out.body, d);
  co_return std::pair{error_code(errc_from_status(out.status)), std::move(out)};
}

using raw_handler = asio::any_completion_handler<void(error_code, raw_response)>;

void start_call(const client& c, call_spec spec, diagnostics* diag, raw_handler handler) {
  auto& impl = c.impl();
  auto timeout = c.call_overrides().timeout.value_or(impl.options().request_timeout);
  auto slot = asio::get_associated_cancellation_slot(handler);
  auto hex = asio::get_associated_executor(handler, impl.executor());
  auto strand = asio::make_strand(impl.executor());
  asio::co_spawn(
      strand, run_call(c.impl_shared(), std::move(spec), timeout, diag),
      asio::bind_cancellation_slot(
          slot, asio::bind_executor(hex, [h = std::move(handler)](std::exception_ptr ep,
                                                                   std::pair<error_code, raw_response> r) mutable {
            if (ep) {
              try {
                std::rethrow_exception(ep);
              } catch (const boost::system::system_error& e) {
                r.first = e.code();
              } catch (...) {
                r.first = make_error_code(boost::system::errc::not_enough_memory);
              }
            }
            std::move(h)(r.first, std::move(r.second));
          })));
}

call_spec spec_from(call_request req) {
  call_spec s;
  s.operation_id = req.op->operation_id;
  s.method = req.op->method;
  s.target = std::move(req.target);
  s.body = std::move(req.body);
  s.content_type = req.content_type;
  s.accept = req.op->accept ? req.op->accept : "application/json";
  return s;
}

}  // namespace

void async_call_raw(const client& c, call_request req, diagnostics* diag, raw_handler handler) {
  start_call(c, spec_from(std::move(req)), diag, std::move(handler));
}

void async_call_json(const client& c, call_request req, diagnostics* diag,
                     asio::any_completion_handler<void(error_code, boost::json::value)> handler) {
  start_call(c, spec_from(std::move(req)), diag,
             then<boost::json::value>(
                 std::move(handler),
                 [](raw_response&& r, boost::json::value& out, diagnostics* d) -> error_code {
                   if (r.body.empty()) return {};
                   error_code ec;
                   out = boost::json::parse(r.body, ec);
                   if (ec) {
                     if (d) d->client_message = "the response body is not valid JSON: " + ec.message();
                     return errc::bad_response;
                   }
                   return {};
                 },
                 diag));
}

}  // namespace detail

client::client(executor_type ex, client_options opts)
    : impl_(std::make_shared<detail::client_impl>(std::move(ex), std::move(opts))) {}

client::executor_type client::get_executor() const noexcept { return impl_->executor(); }
const client_options& client::options() const noexcept { return impl_->options(); }
pool_stats client::stats() const { return impl_->pool().stats(); }
void client::close_idle() { impl_->pool().close_idle(); }

client client::with(call_options opts) const {
  client c = *this;
  if (opts.timeout) c.call_.timeout = opts.timeout;
  if (opts.idempotent) c.call_.idempotent = opts.idempotent;
  return c;
}

void client::async_request_erased(raw_request req, diagnostics* diag,
                                  boost::asio::any_completion_handler<void(error_code, raw_response)> handler) const {
  detail::call_spec spec;
  spec.operation_id = std::move(req.operation_id);
  spec.method = req.method;
  spec.content_type = std::move(req.content_type);
  spec.accept = std::move(req.accept);
  spec.body = std::move(req.body);
  spec.target = std::move(req.path);
  for (auto& [k, v] : req.query) detail::append_query(spec.target, k, v);
  if (spec.target.empty() || spec.target.front() != '/' || detail::has_control_chars(spec.target) ||
      spec.target.find_first_of(" #") != std::string::npos || detail::has_control_chars(spec.content_type) ||
      detail::has_control_chars(spec.accept)) {
    if (diag) {
      diag->clear();
      diag->client_message = "the request path must start with '/' and contain no spaces, '#' or control characters";
    }
    // Never complete inside the initiating function: post, as Asio operations do.
    boost::asio::post(impl_->executor(),
                      boost::asio::append(std::move(handler), error_code(errc::invalid_argument), raw_response{}));
    return;
  }
  detail::start_call(*this, std::move(spec), diag, std::move(handler));
}

}  // namespace aiven
