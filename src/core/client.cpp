#include "core/call.hpp"
#include <aiven/observe.hpp>
#include "core/client_impl.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/monotonic_resource.hpp>
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

// client_options::from_env is in env.cpp.

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
    : ex_(std::move(ex)), opts_(std::move(opts)), url_(parse_base_url(opts_.base_url, opts_.allow_insecure_http)), pool_(opts_.pool),
      limiter_(opts_.rate_limit, opts_.retry.resume_spread),
      seed_(static_cast<std::uint64_t>(clock::now().time_since_epoch().count())) {
  // Header values are sent verbatim: CR/LF would let a value add headers.
  if (has_control_chars(opts_.token)) throw std::invalid_argument("aiven: the token contains control characters");
  if (has_control_chars(opts_.user_agent))
    throw std::invalid_argument("aiven: the user agent contains control characters");
  if (opts_.pool.max_connections == 0) throw std::invalid_argument("aiven: pool.max_connections must be at least 1");
  if (!opts_.token.empty()) authorization_ = "aivenv1 " + opts_.token;
  endpoint_ = endpoint_info{url_.host, url_.port, url_.tls, opts_.verify_peer};
  if (!opts_.proxy.empty() && !no_proxy_matches(opts_.no_proxy, url_.host)) {
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

asio::awaitable<std::pair<error_code, tcp::resolver::results_type>> client_impl::resolve() {
  {
    std::lock_guard lk(resolve_mu_);
    if (endpoints_) co_return std::pair{error_code{}, *endpoints_};
  }
  tcp::resolver resolver(co_await asio::this_coro::executor);
  // Through a proxy only the proxy's address is needed: it resolves the API's host.
  const bool proxied = !endpoint_.proxy_host.empty();
  auto r = co_await resolver.async_resolve(proxied ? endpoint_.proxy_host : url_.host,
                                           proxied ? endpoint_.proxy_port : url_.port, asio::as_tuple(asio::use_awaitable));
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
  bool idempotent = true;
  bool parse_json = false;
  retry_options retry;
  std::chrono::milliseconds timeout{};
  bool settle = false;  // settle after writes (core/settle: src/util/settle.cpp)
};

struct call_result {
  error_code ec;
  raw_response response;
  // Constructed (never assigned) from the parse: assigning a value across memory
  // resources would copy the tree out of its arena.
  std::optional<boost::json::value> json;
};

}  // namespace

void parse_error_body(std::string_view body, diagnostics& d) {
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

namespace {

struct attempt_outcome {
  error_code ec;
  bool may_have_reached_server = true;
  raw_response response;
};

// One attempt: a pooled connection (a fresh one when a reused one turns out to
// be closed before any response byte), the exchange, the response headers.
asio::awaitable<attempt_outcome> run_attempt(client_impl& impl, const http::request<http::string_body>& req,
                                             clock::time_point deadline, diagnostics& d, bool all_headers) {
  attempt_outcome out;
  auto& pool = impl.pool();
  const auto& opts = impl.options();
  auto acquired = co_await pool.acquire(deadline);
  lease l = std::move(acquired.second);
  if (acquired.first) {
    out.ec = acquired.first;
    out.may_have_reached_server = false;
    if (out.ec == errc::timeout) d.client_message = "no pooled connection became free before the deadline";
    co_return out;
  }
  exchange_result r;
  for (;;) {
    if (!l.conn) {
      auto resolved = co_await impl.resolve();
      if (resolved.first) {
        d.client_message = "cannot resolve " + impl.url().host + ": " + resolved.first.message();
        pool.release(std::move(l), false);
        out.ec = resolved.first;
        out.may_have_reached_server = false;
        co_return out;
      }
      l.conn = std::make_unique<connection>(impl.executor(), impl.ssl_context());
      auto connect_deadline = std::min(deadline, clock::now() + opts.connect_timeout);
      if (auto oec = co_await async_open(*l.conn, resolved.second, impl.endpoint(), connect_deadline, &d)) {
        pool.release(std::move(l), false);
        if (oec == asio::error::connection_refused) impl.forget_endpoints();
        out.ec = oec;
        out.may_have_reached_server = false;  // connect or TLS failure: nothing was sent
        co_return out;
      }
      pool.note_opened();
    }
    ++d.attempts;
    r = co_await async_exchange(*l.conn, req, opts.max_body_size, deadline);
    if (r.ec && l.reused && !r.response_started && r.ec != errc::timeout && r.ec != asio::error::operation_aborted) {
      // The server closed this idle keep-alive connection before answering:
      // it never processed the request, so it goes again on a fresh connection.
      pool.note_stale_retry();
      l.conn.reset();
      l.reused = false;
      continue;
    }
    break;
  }
  pool.release(std::move(l), !r.ec && r.keep_alive);
  if (r.ec) {
    out.ec = r.ec;
    out.may_have_reached_server = r.request_sent;
    if (r.ec == errc::timeout)
      d.client_message = "no complete response before the deadline";
    else if (r.ec == errc::body_too_large)
      d.client_message = "response body larger than " + std::to_string(opts.max_body_size) + " bytes";
    else if (r.ec != asio::error::operation_aborted)
      d.client_message = (r.response_started ? "connection failed while reading the response: "
                                             : "connection failed before a response arrived: ") +
                         r.ec.message();
    co_return out;
  }
  out.response.status = r.response.result_int();
  // Typed calls return no headers: only those the client itself reads are kept.
  out.response.headers.reserve(all_headers ? 8 : 2);
  for (auto& f : r.response)
    if (all_headers || f.name() == http::field::retry_after || boost::beast::iequals(f.name_string(), "x-request-id"))
      out.response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.response.body = std::move(r.response.body());
  co_return out;
}

// What a call's diagnostics say before any attempt: which call it is.
void start_diagnostics(diagnostics& d, const call_spec& spec) {
  d.clear();
  d.operation = spec.operation_id;
  d.method = to_string(spec.method);
  d.path = spec.target;
}

bool asks_for_secrets(std::string_view target) {
  auto q = target.find('?');
  return q != std::string_view::npos && target.find("include_secrets", q) != std::string_view::npos;
}

void report_attempt(const client_options& opts, const call_spec& spec, const http::request<http::string_body>& req,
                    const call_result& out, const diagnostics& d, clock::time_point start, bool will_retry) {
  try {
    auto target = redact_target(spec.target);
    std::string req_body, resp_body;
    if (opts.log_bodies) {
      req_body = redact_json(req.body());
      if (!asks_for_secrets(spec.target)) resp_body = redact_json(out.response.body);
    }
    attempt_record r;
    r.operation_id = spec.operation_id;
    r.method = spec.method;
    r.target = target;
    r.attempt = d.attempts;
    r.status = out.response.status;
    r.error = out.ec;
    r.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start);
    r.request_bytes = req.body().size();
    r.response_bytes = out.response.body.size();
    r.will_retry = will_retry;
    r.request_body = req_body;
    r.response_body = resp_body;
    opts.on_attempt(r);
  } catch (...) {
    // A failing hook must not change the call's outcome.
  }
}

// The whole call: admission (429 pause, token bucket), attempts and retries
// within one deadline. Cancellation aborts any wait and closes a busy connection.
// A call's cancellation, used on the call's strand only. In Boost 1.81 a
// cancellation that reaches co_spawn's coroutine before run_call starts, or
// that makes a co_await throw as run_call finishes, escapes co_spawn as an
// exception (std::terminate). So run_call turns exceptions off first, and a
// cancellation that comes before that is kept in `pending` and read there.
struct call_cancellation {
  asio::cancellation_signal signal;
  asio::cancellation_type pending = asio::cancellation_type::none;
  bool started = false;
  bool finished = false;
};

asio::awaitable<call_result> run_call(std::shared_ptr<client_impl> keep, call_spec spec, diagnostics* diag,
                                      std::shared_ptr<call_cancellation> cc) {
  co_await asio::this_coro::throw_if_cancelled(false);
  cc->started = true;
  client_impl& impl = *keep;
  diagnostics local;
  diagnostics& d = diag ? *diag : local;
  start_diagnostics(d, spec);
  const auto deadline = clock::now() + spec.timeout;
  const auto& opts = impl.options();
  if (cc->pending != asio::cancellation_type::none) {
    d.client_message = "cancelled";
    call_result aborted;
    aborted.ec = asio::error::operation_aborted;
    co_return aborted;
  }

  http::request<http::string_body> req{to_verb(spec.method), impl.url().path_prefix + spec.target, 11};
  req.set(http::field::host, impl.url().host_header);
  req.set(http::field::user_agent, opts.user_agent);
  if (!spec.accept.empty()) req.set(http::field::accept, spec.accept);
  if (!impl.authorization().empty()) req.set(http::field::authorization, impl.authorization());
  if (!spec.body.empty()) {
    req.set(http::field::content_type, spec.content_type.empty() ? "application/json" : spec.content_type);
    req.body() = std::move(spec.body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  const std::uint64_t seed = impl.next_seed();
  retry_state policy(spec.retry, spec.idempotent, seed);
  std::minstd_rand rng(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1));
  asio::steady_timer timer(co_await asio::this_coro::executor);
  call_result out;
  unsigned settle_retries = 0;

  auto sleep_until = [&](clock::time_point at) -> asio::awaitable<error_code> {
    timer.expires_at(at);
    auto r = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return std::get<0>(r);
  };

  for (;;) {
    // A cancellation that came between two operations stops the call here.
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
      out.ec = asio::error::operation_aborted;
      d.client_message = "cancelled";
      break;
    }
    auto now = clock::now();
    auto at = impl.admission().admit(now, rng);
    if (at > now) {
      if (at >= deadline) {
        out.ec = out.ec ? out.ec : error_code(errc::timeout);
        d.client_message = "the API's rate limit pause outlasts the call's deadline";
        break;
      }
      if (auto wec = co_await sleep_until(at)) {
        out.ec = wec;
        break;
      }
    }
    d.http_status = 0;
    d.message.clear();
    d.errors.clear();
    d.client_message.clear();
    const auto attempt_start = clock::now();
    auto a = co_await run_attempt(impl, req, deadline, d, !spec.parse_json);
    out.ec = a.ec;
    out.response = std::move(a.response);
    attempt_result ar{a.ec, a.may_have_reached_server, std::nullopt};
    if (!a.ec) {
      auto& resp = out.response;
      d.http_status = resp.status;
      if (auto* id = resp.header("x-request-id")) d.request_id = *id;
      if (resp.status < 200 || resp.status >= 300) {
        parse_error_body(resp.body, d);
        out.ec = ar.ec = errc_from_status(resp.status);
        if (resp.status == 429 || resp.status == 503) {
          if (auto* h = resp.header("retry-after")) ar.retry_after = parse_retry_after(*h, std::chrono::system_clock::now());
          if (!ar.retry_after) ar.retry_after = parse_try_again_hint(d.message);
          for (auto& e : d.errors)
            if (!ar.retry_after) ar.retry_after = parse_try_again_hint(e.message);
          d.retry_after = ar.retry_after;
        }
      } else if (spec.parse_json && !resp.body.empty()) {
        error_code pec;
        // The tree lives in one arena sized from the body: no malloc and free per node. The
        // typed decoders copy what they keep, then the arena goes with the value.
        auto arena = boost::json::make_shared_resource<boost::json::monotonic_resource>(2 * resp.body.size() + 256);
        out.json.emplace(boost::json::parse(resp.body, pec, std::move(arena)));
        if (pec) {
          d.client_message = "the response body is not valid JSON: " + pec.message();
          out.ec = ar.ec = errc::bad_response;
        }
      }
    }
    auto step = policy.on_attempt(ar);
    // Settle after writes: a read of what this client just created, not visible yet.
    if (!step.retry && spec.settle && out.ec)
      if (auto p = impl.settle().retry_after(spec.method, spec.target, d.http_status, settle_retries, deadline)) {
        step = retry_step{.retry = true, .delay = std::chrono::duration_cast<ms>(*p)};
        ++settle_retries;
      }
    if (opts.on_attempt) {
      report_attempt(opts, spec, req, out, d, attempt_start,
                     step.retry && clock::now() + step.delay < deadline);
    }
    if (!step.retry) {
      out.ec = step.final_ec;
      if (step.final_ec == errc::connection_lost && a.ec != step.final_ec)
        d.client_message += "; the request may have been executed, so it was not sent again";
      break;
    }
    auto resume = clock::now() + step.delay;
    if (resume >= deadline) {
      d.client_message += d.client_message.empty() ? "" : "; ";
      d.client_message += "no time left for another attempt before the deadline";
      break;
    }
    impl.retries.fetch_add(1, std::memory_order_relaxed);
    if (step.shared_pause) {
      impl.admission().pause_until(resume);  // the next admit() waits, as every other call of the client does
    } else if (auto wec = co_await sleep_until(resume)) {
      out.ec = wec;
      break;
    }
  }
  if (!out.ec) impl.settle().record_success(spec.method, spec.target, req.body(), out.response.body);
  co_return out;
}

using result_handler = asio::any_completion_handler<void(error_code, call_result)>;
using raw_handler = asio::any_completion_handler<void(error_code, raw_response)>;

void call_finished(const std::shared_ptr<client_impl>& impl);

// Runs the call on its own strand and completes `handler` on its executor.
// The caller's cancellation reaches the call through a signal the call owns,
// emitted on the call's strand and only while run_call runs (see
// call_cancellation). Binding the caller's slot to co_spawn directly is not
// safe in Boost 1.81: co_spawn posts a raw pointer to its own signal, which the
// caller frees once the call has completed meanwhile (use-after-free).
void forward_cancellation(const std::shared_ptr<call_cancellation>& cc, const asio::strand<asio::any_io_executor>& strand,
                          asio::cancellation_type type) {
  asio::dispatch(strand, [cc, type] {
    if (cc->finished) return;
    if (cc->started)
      cc->signal.emit(type);
    else
      cc->pending |= type;
  });
}

// `cc`: given when the caller's slot already forwards to it (a call that waited
// in the queue), so that the slot is never re-assigned from another thread.
void launch_call(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, result_handler handler,
                 asio::cancellation_slot slot, asio::strand<asio::any_io_executor> strand,
                 std::shared_ptr<call_cancellation> cc = nullptr) {
  auto hex = asio::get_associated_executor(handler, impl->executor());
  if (!cc) {
    cc = std::make_shared<call_cancellation>();
    if (slot.is_connected())
      slot.assign([cc, strand](asio::cancellation_type type) { forward_cancellation(cc, strand, type); });
  }
  asio::co_spawn(strand, run_call(impl, std::move(spec), diag, cc),
                 asio::bind_cancellation_slot(
                     cc->signal.slot(),
                     asio::bind_executor(strand, [impl, cc, hex, h = std::move(handler)](std::exception_ptr ep,
                                                                                         call_result r) mutable {
                       cc->finished = true;
                       if (ep) {
                         try {
                           std::rethrow_exception(ep);
                         } catch (const boost::system::system_error& e) {
                           r.ec = e.code();
                         } catch (...) {
                           r.ec = make_error_code(boost::system::errc::not_enough_memory);
                         }
                       }
                       call_finished(impl);
                       auto ec = r.ec;
                       asio::dispatch(hex, [h = std::move(h), ec, r = std::move(r)]() mutable {
                         std::move(h)(ec, std::move(r));
                       });
                     })));
}

}  // namespace

struct queued_call {
  queued_call(call_spec s, diagnostics* d, result_handler h, asio::cancellation_slot sl,
              asio::strand<asio::any_io_executor> st)
      : spec(std::move(s)), diag(d), handler(std::move(h)), slot(sl), strand(std::move(st)), timer(strand),
        queued_at(clock::now()) {}
  call_spec spec;
  diagnostics* diag;
  result_handler handler;
  asio::cancellation_slot slot;
  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer timer;  // the call's deadline while it waits; used on `strand` only
  clock::time_point queued_at;
  // Where the caller's slot sends a cancellation once the call has left the queue.
  std::shared_ptr<call_cancellation> cc = std::make_shared<call_cancellation>();
  bool taken = false;  // started, timed out or cancelled (under client_impl::queue_mu)
};

namespace {

// Takes `q` out of the queue; false when something else already did.
bool take(client_impl& impl, queued_call& q) {
  std::lock_guard lk(impl.queue_mu);
  if (q.taken) return false;
  q.taken = true;
  --impl.queued;
  return true;
}

void fail_queued(client_impl& impl, const std::shared_ptr<queued_call>& q, error_code ec, const char* why) {
  if (q->diag) {
    start_diagnostics(*q->diag, q->spec);
    q->diag->client_message = why;
  }
  post_completion(impl.executor(), std::move(q->handler), ec, call_result{});
}

// A call finished: the next queued call, if any, takes its place.
void call_finished(const std::shared_ptr<client_impl>& impl) {
  for (;;) {
    std::shared_ptr<queued_call> next;
    {
      std::lock_guard lk(impl->queue_mu);
      while (!impl->queue.empty() && impl->queue.front()->taken) impl->queue.pop_front();
      if (impl->queue.empty()) {
        --impl->running;
        return;
      }
      next = std::move(impl->queue.front());
      impl->queue.pop_front();
      next->taken = true;
      --impl->queued;
    }
    asio::post(next->strand, [next] { next->timer.cancel(); });
    // The time spent waiting counts against the call's deadline.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next->spec.timeout -
                                                                     (clock::now() - next->queued_at));
    if (left.count() <= 0) {
      fail_queued(*impl, next, errc::timeout, "no connection became free before the deadline");
      continue;
    }
    next->spec.timeout = left;
    launch_call(impl, std::move(next->spec), next->diag, std::move(next->handler), next->slot, next->strand,
                next->cc);
    return;  // the running count passes to it
  }
}

// Runs the call now, or queues it when max_running() calls are already running.
void spawn_call(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, result_handler handler,
                asio::cancellation_slot slot, asio::strand<asio::any_io_executor> strand) {
  std::unique_lock lk(impl->queue_mu);
  if (impl->running < impl->max_running()) {
    ++impl->running;
    lk.unlock();
    launch_call(impl, std::move(spec), diag, std::move(handler), slot, std::move(strand));
    return;
  }
  // Queued under the lock, so that a call finishing meanwhile cannot miss it. Nothing
  // here runs a handler: the timer and the slot only register theirs.
  auto q = std::make_shared<queued_call>(std::move(spec), diag, std::move(handler), slot, std::move(strand));
  q->timer.expires_at(q->queued_at + q->spec.timeout);
  std::weak_ptr<client_impl> wimpl = impl;
  q->timer.async_wait([q, wimpl](error_code ec) {
    auto impl = wimpl.lock();
    if (ec || !impl || !take(*impl, *q)) return;
    fail_queued(*impl, q, errc::timeout, "no connection became free before the deadline");
  });
  if (q->slot.is_connected()) {
    // Assigned once, here, on the caller's side: while the call waits it leaves the
    // queue; once it runs, the cancellation goes on to it.
    q->slot.assign([wq = std::weak_ptr<queued_call>(q), wimpl, cc = q->cc, strand = q->strand](
                       asio::cancellation_type type) {
      auto q = wq.lock();
      auto impl = wimpl.lock();
      if (q && impl && take(*impl, *q)) {
        asio::post(q->strand, [q] { q->timer.cancel(); });
        fail_queued(*impl, q, asio::error::operation_aborted, "cancelled");
        return;
      }
      forward_cancellation(cc, strand, type);
    });
  }
  impl->queue.push_back(std::move(q));
  ++impl->queued;
}

}  // namespace

// Concurrent identical GETs: the first runs the request (detached from any
// caller's cancellation); every participant, first included, waits for it and
// can be cancelled on its own.
struct flight {
  struct participant {
    // Constructed, never assigned: Boost 1.81's any_completion_handler move
    // assignment re-wraps the handler without end.
    participant(result_handler h, diagnostics* d) : handler(std::move(h)), diag(d) {}
    result_handler handler;
    diagnostics* diag;
    std::mutex mu;
    bool done = false;  // completed or cancelled (under mu)
  };
  explicit flight(const asio::any_io_executor& ex) : strand(asio::make_strand(ex)) {}
  std::vector<std::shared_ptr<participant>> participants;
  std::size_t active = 0;  // participants not cancelled (under client_impl::flights_mu)
  asio::strand<asio::any_io_executor> strand;  // where the shared request runs
  asio::cancellation_signal cancel;            // emitted on `strand` once every participant has left
};

namespace {

void complete_participant(client_impl& impl, const std::shared_ptr<flight::participant>& p, const diagnostics& d,
                          call_result r) {
  {
    std::lock_guard lk(p->mu);
    if (p->done) return;  // cancelled meanwhile: its handler (and diagnostics) may be gone
    p->done = true;
    if (p->diag) *p->diag = d;
  }
  auto ec = r.ec;
  post_completion(impl.executor(), std::move(p->handler), ec, std::move(r));
}

void join_flight(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, result_handler handler) {
  std::string key = spec.accept + ' ' + (spec.parse_json ? "j " : "r ") + spec.target;
  auto p = std::make_shared<flight::participant>(std::move(handler), diag);
  // Read and connected before p is published: once it is in the flight, the
  // request may complete on another thread and take p->handler.
  auto cslot = asio::get_associated_cancellation_slot(p->handler);
  std::shared_ptr<flight> f;
  bool leader = false;
  {
    std::lock_guard lk(impl->flights_mu);
    auto& slot = impl->flights[key];
    if (!slot) {
      slot = std::make_shared<flight>(impl->executor());
      leader = true;
    } else {
      impl->shared_flights.fetch_add(1, std::memory_order_relaxed);
    }
    if (cslot.is_connected()) {
      std::weak_ptr<client_impl> wimpl = impl;
      cslot.assign([p, wimpl, wf = std::weak_ptr<flight>(slot)](asio::cancellation_type) {
        auto impl = wimpl.lock();
        if (!impl) return;
        {
          std::lock_guard lk(p->mu);
          if (p->done) return;
          p->done = true;
        }
        if (p->diag) p->diag->client_message = "cancelled";
        post_completion(impl->executor(), std::move(p->handler), error_code(asio::error::operation_aborted),
                        call_result{});
        // The last one out cancels the shared request, which closes its connection.
        if (auto f = wf.lock()) {
          bool last;
          {
            std::lock_guard lk(impl->flights_mu);
            last = --f->active == 0;
          }
          if (last) asio::post(f->strand, [f] { f->cancel.emit(asio::cancellation_type::terminal); });
        }
      });
    }
    f = slot;
    f->participants.push_back(p);
    ++f->active;
  }
  if (!leader) return;
  auto shared_diag = std::make_shared<diagnostics>();
  spawn_call(
      impl, std::move(spec), shared_diag.get(),
      result_handler([impl, key, f, shared_diag](error_code, call_result r) mutable {
        std::vector<std::shared_ptr<flight::participant>> ps;
        {
          std::lock_guard lk(impl->flights_mu);
          auto it = impl->flights.find(key);
          if (it != impl->flights.end() && it->second == f) impl->flights.erase(it);
          ps.swap(f->participants);
        }
        for (std::size_t i = 0; i < ps.size(); ++i)
          complete_participant(*impl, ps[i], *shared_diag, i + 1 == ps.size() ? std::move(r) : r);
      }),
      f->cancel.slot(), f->strand);
}

call_spec spec_from(call_request req) {
  call_spec s;
  s.operation_id = req.op->operation_id;
  s.method = req.op->method;
  s.target = std::move(req.target);
  s.body = std::move(req.body);
  s.content_type = std::move(req.content_type);
  s.accept = req.op->accept ? req.op->accept : "application/json";
  s.idempotent = req.op->idempotent;
  return s;
}

void start_call(const client& c, call_spec spec, diagnostics* diag, result_handler handler) {
  auto& impl = c.impl();
  const auto& over = c.call_overrides();
  spec.timeout = over.timeout.value_or(impl.options().request_timeout);
  spec.retry = over.retry.value_or(impl.options().retry);
  if (over.idempotent) spec.idempotent = *over.idempotent;
  spec.settle = over.settle.value_or(impl.options().settle.enabled);
  const bool single_flight = over.single_flight.value_or(impl.options().single_flight) &&
                           spec.method == http_method::get && spec.body.empty();
  if (single_flight) {
    join_flight(c.impl_shared(), std::move(spec), diag, std::move(handler));
    return;
  }
  auto slot = asio::get_associated_cancellation_slot(handler);
  spawn_call(c.impl_shared(), std::move(spec), diag, std::move(handler), slot, asio::make_strand(impl.executor()));
}

}  // namespace

void async_call_raw(const client& c, call_request req, diagnostics* diag, raw_handler handler) {
  start_call(c, spec_from(std::move(req)), diag,
             map<call_result>(std::move(handler), [](call_result&& r) { return std::move(r.response); }));
}

void async_call_json(const client& c, call_request req, diagnostics* diag,
                     asio::any_completion_handler<void(error_code, boost::json::value)> handler) {
  auto spec = spec_from(std::move(req));
  spec.parse_json = true;
  start_call(c, std::move(spec), diag,
             map<call_result>(std::move(handler), [](call_result&& r) {
               return r.json ? std::move(*r.json) : boost::json::value();
             }));
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

void client::async_request_erased(raw_request req, diagnostics* diag,
                                  boost::asio::any_completion_handler<void(error_code, raw_response)> handler) const {
  detail::call_spec spec;
  spec.operation_id = std::move(req.operation_id);
  spec.method = req.method;
  spec.idempotent = req.method != http_method::post && req.method != http_method::patch;
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
    detail::post_completion(impl_->executor(), std::move(handler), error_code(errc::invalid_argument), raw_response{});
    return;
  }
  detail::start_call(*this, std::move(spec), diag,
                     detail::map<detail::call_result>(std::move(handler),
                                                      [](detail::call_result&& r) { return std::move(r.response); }));
}

}  // namespace aiven
