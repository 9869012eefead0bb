#include "core/call.hpp"
#include "core/call_loop.hpp"
#include "core/client_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <variant>
#include <vector>
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

void client_impl::forget_endpoints() {
  std::lock_guard lk(resolve_mu_);
  endpoints_.forget();
}

namespace {

using raw_handler = asio::any_completion_handler<void(error_code, raw_response)>;
using json_handler = asio::any_completion_handler<void(error_code, boost::json::value)>;
using internal_handler = std::function<void(call_result)>;

// The caller's handler, erased once at the API boundary, and work held on its
// associated executor from initiation until it has been dispatched (as every
// Asio I/O object does: that executor's io_context must not run out of work
// while the call is pending). An internal handler (a single-flight's shared
// request) holds no work: its participants do.
class completion {
 public:
  completion(raw_handler h, const asio::any_io_executor& fallback)
      : work_(tracked(asio::get_associated_executor(h, fallback))), h_(std::in_place_index<0>, std::move(h)) {}
  completion(json_handler h, const asio::any_io_executor& fallback)
      : work_(tracked(asio::get_associated_executor(h, fallback))), h_(std::in_place_index<1>, std::move(h)) {}
  completion(internal_handler h, const asio::any_io_executor& ex) : work_(ex), h_(std::in_place_index<2>, std::move(h)) {}

  asio::cancellation_slot slot() const noexcept {
    switch (h_.index()) {
      case 0: return std::get<0>(h_).get_cancellation_slot();
      case 1: return std::get<1>(h_).get_cancellation_slot();
      default: return {};
    }
  }

  /// Runs the handler on its executor: at once when already there, else later;
  /// through `via` (never inside the caller) when given: an initiating function
  /// must not complete inline.
  void complete(call_result r, const asio::any_io_executor* via = nullptr) && {
    auto ex = std::move(work_);
    auto fn = [h = std::move(h_), r = std::move(r)]() mutable {
      const auto ec = r.ec;
      switch (h.index()) {
        case 0: std::move(std::get<0>(h))(ec, std::move(r.response)); break;
        case 1: std::move(std::get<1>(h))(ec, r.json ? std::move(*r.json) : boost::json::value()); break;
        default: std::get<2>(h)(std::move(r)); break;
      }
    };
    if (via)
      asio::post(*via, asio::bind_executor(ex, std::move(fn)));
    else
      asio::dispatch(asio::bind_executor(ex, std::move(fn)));
  }

 private:
  static asio::any_completion_executor tracked(const asio::any_completion_executor& ex) {
    return asio::prefer(ex, asio::execution::outstanding_work.tracked);
  }
  asio::any_completion_executor work_;
  std::variant<raw_handler, json_handler, internal_handler> h_;
};

call_result failed(error_code ec) {
  call_result r;
  r.ec = ec;
  return r;
}

void call_finished(const std::shared_ptr<client_impl>& impl);

// Runs the call on its own strand and completes `done` on its executor.
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
void launch_call(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done,
                 asio::cancellation_slot slot, asio::strand<asio::any_io_executor> strand,
                 std::shared_ptr<call_cancellation> cc = nullptr) {
  if (!cc) {
    cc = std::make_shared<call_cancellation>();
    if (slot.is_connected())
      slot.assign([cc, strand](asio::cancellation_type type) { forward_cancellation(cc, strand, type); });
  }
  asio::co_spawn(strand, run_call(impl, std::move(spec), diag, cc),
                 asio::bind_cancellation_slot(
                     cc->signal.slot(),
                     asio::bind_executor(strand, [impl, cc, done = std::move(done)](std::exception_ptr ep,
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
                       std::move(done).complete(std::move(r));
                     })));
}

}  // namespace

struct queued_call {
  queued_call(call_spec s, diagnostics* d, completion c, asio::cancellation_slot sl,
              asio::strand<asio::any_io_executor> st)
      : spec(std::move(s)), diag(d), done(std::move(c)), slot(sl), strand(std::move(st)), timer(strand),
        queued_at(clock::now()) {}
  call_spec spec;
  diagnostics* diag;
  completion done;
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
  std::move(q->done).complete(failed(ec), &impl.executor());
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
    launch_call(impl, std::move(next->spec), next->diag, std::move(next->done), next->slot, next->strand, next->cc);
    return;  // the running count passes to it
  }
}

// Admission: runs the call now, or queues it when max_running() calls are already running.
// The queue's mutex is held for a few pointer moves only, never across a wait: calls
// are admitted and finish on their own strands, from any thread running the context.
void spawn_call(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done,
                asio::cancellation_slot slot, asio::strand<asio::any_io_executor> strand) {
  std::unique_lock lk(impl->queue_mu);
  if (impl->running < impl->max_running()) {
    ++impl->running;
    lk.unlock();
    launch_call(impl, std::move(spec), diag, std::move(done), slot, std::move(strand));
    return;
  }
  // Queued under the lock, so that a call finishing meanwhile cannot miss it. Nothing
  // here runs a handler: the timer and the slot only register theirs.
  auto q = std::make_shared<queued_call>(std::move(spec), diag, std::move(done), slot, std::move(strand));
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

// Concurrent identical GETs: one request on the wire (detached from any caller's
// cancellation), every participant, first included, with its own deadline and
// cancellation. The request lives while some participant wants it; the last one
// to leave takes the flight out of the table, then cancels the request, so that
// a later caller starts a new one.
struct flight {
  struct participant {
    // Constructed, never assigned: Boost 1.81's any_completion_handler move
    // assignment re-wraps the handler without end.
    participant(completion c, diagnostics* d, const asio::any_io_executor& ex)
        : done(std::move(c)), diag(d), timer(ex) {}
    completion done;
    diagnostics* diag;
    asio::steady_timer timer;  // the participant's own deadline
    // Guards `finished`: the shared request, the participant's timer and its
    // cancellation slot may race to end it from different threads.
    std::mutex mu;
    bool finished = false;
  };
  explicit flight(const asio::any_io_executor& ex, clock::time_point deadline)
      : strand(asio::make_strand(ex)),
        deadline(std::make_shared<std::atomic<clock::rep>>(deadline.time_since_epoch().count())) {}
  std::vector<std::shared_ptr<participant>> participants;  // under client_impl::flights_mu
  std::size_t active = 0;                                   // participants still waiting (under flights_mu)
  bool listed = true;                                       // in client_impl::flights (under flights_mu)
  asio::strand<asio::any_io_executor> strand;               // where the shared request runs
  asio::cancellation_signal cancel;                         // emitted on `strand` once every participant left
  std::shared_ptr<std::atomic<clock::rep>> deadline;        // the latest participant's
  std::string key;                                          // in client_impl::flights
};

namespace {

// Ends p (once) with a result of its own, before the shared request ends.
void leave_flight(const std::shared_ptr<client_impl>& impl, const std::shared_ptr<flight>& f,
                  const std::shared_ptr<flight::participant>& p, error_code ec, const char* why, bool cancel_timer) {
  {
    std::lock_guard lk(p->mu);
    if (p->finished) return;
    p->finished = true;
    if (cancel_timer) p->timer.cancel();
  }
  if (p->diag) p->diag->client_message = why;
  std::move(p->done).complete(failed(ec), &impl->executor());
  bool last = false;
  {
    std::lock_guard lk(impl->flights_mu);
    if (--f->active == 0 && f->listed) {
      auto it = impl->flights.find(f->key);
      if (it != impl->flights.end() && it->second == f) impl->flights.erase(it);
      f->listed = false;
      last = true;
    }
  }
  // The last one out cancels the shared request, which closes its connection.
  if (last) asio::post(f->strand, [f] { f->cancel.emit(asio::cancellation_type::terminal); });
}

void join_flight(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done) {
  std::string key = spec.accept + ' ' + (spec.parse_json ? "j " : "r ") + spec.target;
  const auto now = clock::now();
  const auto my_deadline = now + spec.timeout;
  if (diag) start_diagnostics(*diag, spec);
  // Read and connected before p is published: once it is in the flight, the
  // request may complete on another thread and take p->done.
  auto cslot = done.slot();
  auto p = std::make_shared<flight::participant>(std::move(done), diag, impl->executor());
  std::shared_ptr<flight> f;
  bool leader = false;
  {
    std::lock_guard lk(impl->flights_mu);
    auto& slot = impl->flights[key];
    if (!slot) {
      // The shared request may outlive a leader with a short deadline: it is bounded
      // by the client's own timeout, or later by its latest participant's.
      slot = std::make_shared<flight>(impl->executor(), std::max(my_deadline, now + impl->options().request_timeout));
      slot->key = key;
      leader = true;
    } else {
      impl->shared_flights.fetch_add(1, std::memory_order_relaxed);
      auto& d = *slot->deadline;
      auto mine = my_deadline.time_since_epoch().count();
      for (auto cur = d.load(); cur < mine && !d.compare_exchange_weak(cur, mine);) {
      }
    }
    f = slot;
    std::weak_ptr<client_impl> wimpl = impl;
    std::weak_ptr<flight> wf = f;
    p->timer.expires_at(my_deadline);
    p->timer.async_wait([p, wimpl, wf](error_code ec) {
      auto impl = wimpl.lock();
      auto f = wf.lock();
      if (ec || !impl || !f) return;
      leave_flight(impl, f, p, errc::timeout, "no response before the call's deadline", false);
    });
    if (cslot.is_connected()) {
      cslot.assign([p, wimpl, wf](asio::cancellation_type) {
        auto impl = wimpl.lock();
        auto f = wf.lock();
        if (impl && f) leave_flight(impl, f, p, asio::error::operation_aborted, "cancelled", true);
      });
    }
    f->participants.push_back(p);
    ++f->active;
  }
  if (!leader) return;
  auto shared_diag = std::make_shared<diagnostics>();
  spec.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      clock::time_point(clock::duration(f->deadline->load())) - now);
  spec.shared_deadline = f->deadline;
  completion shared(internal_handler([impl, f, shared_diag](call_result r) mutable {
                      std::vector<std::shared_ptr<flight::participant>> ps;
                      {
                        std::lock_guard lk(impl->flights_mu);
                        if (f->listed) {
                          auto it = impl->flights.find(f->key);
                          if (it != impl->flights.end() && it->second == f) impl->flights.erase(it);
                          f->listed = false;
                        }
                        ps.swap(f->participants);
                      }
                      for (auto& p : ps) {
                        {
                          std::lock_guard lk(p->mu);
                          if (p->finished) continue;  // left already: its handler (and diagnostics) may be gone
                          p->finished = true;
                          p->timer.cancel();
                        }
                        if (p->diag) *p->diag = *shared_diag;
                        call_result copy = r;
                        std::move(p->done).complete(std::move(copy), &impl->executor());
                      }
                    }),
                    f->strand);
  spawn_call(impl, std::move(spec), shared_diag.get(), std::move(shared), f->cancel.slot(), f->strand);
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

void start_call(const client& c, call_spec spec, diagnostics* diag, completion done) {
  auto& impl = c.impl();
  const auto& over = c.call_overrides();
  spec.timeout = over.timeout.value_or(impl.options().request_timeout);
  spec.retry = over.retry.value_or(impl.options().retry);
  if (over.idempotent) spec.idempotent = *over.idempotent;
  const bool single_flight = over.single_flight.value_or(impl.options().single_flight) &&
                           spec.method == http_method::get && spec.body.empty();
  if (single_flight) {
    join_flight(c.impl_shared(), std::move(spec), diag, std::move(done));
    return;
  }
  auto slot = done.slot();
  spawn_call(c.impl_shared(), std::move(spec), diag, std::move(done), slot, asio::make_strand(impl.executor()));
}

}  // namespace

void async_call_raw(const client& c, call_request req, diagnostics* diag, raw_handler handler) {
  start_call(c, spec_from(std::move(req)), diag, completion(std::move(handler), c.impl().executor()));
}

void async_call_json(const client& c, call_request req, diagnostics* diag, json_handler handler) {
  auto spec = spec_from(std::move(req));
  spec.parse_json = true;
  start_call(c, std::move(spec), diag, completion(std::move(handler), c.impl().executor()));
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
    detail::completion(std::move(handler), impl_->executor())
        .complete(detail::failed(errc::invalid_argument), &impl_->executor());
    return;
  }
  detail::start_call(*this, std::move(spec), diag, detail::completion(std::move(handler), impl_->executor()));
}

}  // namespace aiven
