#include "core/call_loop.hpp"

#include "core/call_fsm.hpp"

#include <aiven/observe.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <random>

namespace aiven::detail {

void start_diagnostics(diagnostics& d, const call_spec& spec) {
  d.clear();
  d.operation = spec.operation_id;
  d.method = to_string(spec.method);
  d.path = redact_target(spec.target, spec.secret_segments);
}

namespace {

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

http::request<http::string_body> make_request(const client_impl& impl, call_spec& spec) {
  const auto& opts = impl.options();
  http::request<http::string_body> req{to_verb(spec.method), impl.url().path_prefix + spec.target, 11};
  req.set(http::field::host, impl.url().host_header);
  req.set(http::field::user_agent, opts.user_agent);
  if (!spec.accept.empty()) req.set(http::field::accept, spec.accept);
  if (!impl.authorization().empty()) req.set(http::field::authorization, impl.authorization());
  if (opts.accept_gzip) req.set(http::field::accept_encoding, "gzip");
  if (!spec.body.empty()) {
    req.set(http::field::content_type, spec.content_type.empty() ? "application/json" : spec.content_type);
    req.body() = std::move(spec.body);
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

bool asks_for_secrets(std::string_view target) {
  auto q = target.find('?');
  return q != std::string_view::npos && target.find("include_secrets", q) != std::string_view::npos;
}

void report_attempt(const client_options& opts, const call_spec& spec, const http::request<http::string_body>& req,
                    const call_result& out, unsigned attempt, clock::time_point start, clock::time_point now,
                    bool will_retry, std::string_view shared_error) {
  try {
    auto target = redact_target(spec.target, spec.secret_segments);
    std::string req_body, resp_body;
    if (opts.log_bodies) {
      req_body = redact_json(req.body());
      if (!asks_for_secrets(spec.target)) resp_body = redact_json(out.response.body);
    }
    attempt_record r;
    r.operation_id = spec.operation_id;
    r.method = spec.method;
    r.target = target;
    r.attempt = attempt;
    r.status = out.response.status;
    r.error = out.ec;
    r.duration = std::chrono::duration_cast<std::chrono::microseconds>(now - start);
    r.request_bytes = req.body().size();
    r.response_bytes = out.response.body.size();
    r.response_wire_bytes = out.wire_bytes;
    r.will_retry = will_retry;
    r.shared_limiter_error = shared_error;
    r.request_body = req_body;
    r.response_body = resp_body;
    opts.on_attempt(r);
  } catch (...) {
    // A failing hook must not change the call's outcome.
  }
}

// Reads the response into out (status, kept headers, body, parsed JSON) and classifies it.
response_class take_response(exchange_result& r, const call_spec& spec, call_result& out, diagnostics& d) {
  auto& resp = out.response;
  resp.status = r.response.result_int();
  // Typed calls return no headers: only those the client itself reads are kept.
  const bool all_headers = !spec.parse_json && !spec.decoder;
  resp.headers.reserve(all_headers ? 8 : 2);
  for (auto& f : r.response)
    if (all_headers || f.name() == http::field::retry_after || boost::beast::iequals(f.name_string(), "x-request-id"))
      resp.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  resp.body = std::move(r.response.body());
  out.wire_bytes = r.body_wire_bytes;
  d.http_status = resp.status;
  if (auto* id = resp.header("x-request-id")) d.request_id = *id;
  if (resp.status < 200 || resp.status >= 300) {
    parse_error_body(resp.body, d);
    auto rc = classify_response(resp.status, resp.header("retry-after"), d, std::chrono::system_clock::now());
    d.retry_after = rc.retry_after;
    return rc;
  }
  response_class rc;
  if (spec.parse_json && !resp.body.empty()) {
    error_code pec;
    // The tree lives in one arena sized from the body: no malloc and free per node. The
    // typed decoders copy what they keep, then the arena goes with the value.
    auto arena = boost::json::make_shared_resource<boost::json::monotonic_resource>(2 * resp.body.size() + 256);
    out.json.emplace(boost::json::parse(resp.body, pec, std::move(arena)));
    if (pec) {
      d.client_message = "the response body is not valid JSON: " + pec.message();
      rc.ec = errc::bad_response;
    }
  } else if (spec.decoder) {
    // A body that does not decode fails the attempt as one that is not JSON does.
    if (auto dec = spec.decoder->decode(resp.body, d)) rc.ec = dec;
  }
  return rc;
}

void explain_exchange_failure(const exchange_result& r, const client_options& opts, diagnostics& d) {
  if (r.ec == errc::timeout)
    d.client_message = "no complete response before the deadline";
  else if (r.ec == errc::body_too_large)
    d.client_message = "response body larger than " + std::to_string(opts.max_body_size) + " bytes";
  else if (r.ec == errc::bad_response)
    d.client_message = "the server's answer is not a usable HTTP response";
  else if (r.ec != asio::error::operation_aborted)
    d.client_message = (r.response_started ? "connection failed while reading the response: "
                                           : "connection failed before a response arrived: ") +
                       r.ec.message();
}

}  // namespace

asio::awaitable<call_result> run_call(std::shared_ptr<client_impl> keep, call_spec spec, diagnostics* diag,
                                      std::shared_ptr<call_cancellation> cc) {
  co_await asio::this_coro::throw_if_cancelled(false);
  cc->started = true;
  client_impl& impl = *keep;
  const auto& opts = impl.options();
  diagnostics local;
  diagnostics& d = diag ? *diag : local;
  start_diagnostics(d, spec);
  // Time, waits and I/O: the client's transport (the pool and sockets; a script in tests).
  call_transport& t = impl.transport();
  const auto deadline = deadline_after(t.now(), spec.timeout);
  const auto req = make_request(impl, spec);
  const std::uint64_t seed = impl.next_seed();
  call_fsm fsm(spec.retry, spec.idempotent, deadline, seed);
  std::minstd_rand rng(static_cast<std::minstd_rand::result_type>(seed % 2147483646u + 1));
  call_result out;
  lease l;
  clock::time_point attempt_start{};
  unsigned retries_counted = 0;
  unsigned settle_retries = 0;
  // The budget shared across processes: this attempt's slot there (0: admitted locally),
  // and why the server could not be asked (this attempt), if it could not.
  long long shared_tag = 0;
  std::string shared_error;

  auto cancelled = [&](asio::cancellation_state st) {
    return cc->pending != asio::cancellation_type::none || st.cancelled() != asio::cancellation_type::none;
  };
  // A new attempt starts: what the last one left in the diagnostics goes.
  auto begin_attempt = [&] {
    attempt_start = t.now();
    d.attempts = fsm.attempts();
    d.http_status = 0;
    d.message.clear();
    d.errors.clear();
    d.client_message.clear();
    out.response = raw_response{};
    out.wire_bytes = 0;
  };
  auto attempt_ended = [&] {
    d.attempts = fsm.attempts();
    if (fsm.retries() > retries_counted) {
      impl.retries.fetch_add(fsm.retries() - retries_counted, std::memory_order_relaxed);
      retries_counted = fsm.retries();
    }
    if (opts.on_attempt)
      report_attempt(opts, spec, req, out, fsm.attempts(), attempt_start, t.now(), fsm.will_retry(), shared_error);
  };

  next_action a = fsm.start();
  for (;;) {
    if (spec.shared_deadline)
      fsm.extend_deadline(clock::time_point(clock::duration(spec.shared_deadline->load(std::memory_order_relaxed))));
    switch (a.kind) {
      case next_action::admit: {
        std::optional<rate_admission> decided;
        shared_tag = 0;
        shared_error.clear();
        if (auto* sb = impl.shared()) {
          auto ans = co_await sb->admit();
          if (ans.from == shared_budget::source::shared) {
            decided = rate_admission{t.now() + std::chrono::duration_cast<clock::duration>(ans.a.wait), ans.a.reserved};
            shared_tag = ans.a.tag;
          } else if (ans.from == shared_budget::source::unreachable) {
            shared_error = sb->unreachable();
            d.shared_limiter_error = shared_error;
          }
        }
        const auto now = t.now();
        const auto adm = impl.admission().admit(now, rng, decided ? &*decided : nullptr);
        a = fsm.admitted(now, adm.at, cancelled(co_await asio::this_coro::cancellation_state),
                         impl.admission().paused_until(), adm.reserved);
        if (a.kind == next_action::acquire) begin_attempt();
        break;
      }
      case next_action::wait: {
        const error_code wec = co_await t.wait_until(a.until);
        a = fsm.waited(wec || cancelled(co_await asio::this_coro::cancellation_state));
        if (a.kind == next_action::acquire) begin_attempt();
        break;
      }
      case next_action::acquire: {
        auto acquired = co_await t.acquire(fsm.deadline());
        l = std::move(acquired.second);
        a = fsm.acquired(acquired.first, l.conn != nullptr, cancelled(co_await asio::this_coro::cancellation_state));
        if (a.kind == next_action::done) {
          out.ec = a.ec;
          t.release(std::move(l), true);  // nothing was sent on it
          attempt_ended();
        }
        break;
      }
      case next_action::open: {
        if (l.conn) {
          // A re-send after a reused connection failed before answering.
          t.stale_resend();
          l.conn.reset();
          l.reused = false;
          begin_attempt();
        }
        const auto [oec, verify_failed] = co_await t.open(l, fsm.deadline(), d);
        const auto opened_at = t.now();
        a = fsm.opened(oec, verify_failed, cancelled(co_await asio::this_coro::cancellation_state), opened_at,
                       impl.admission().blocked_until(opened_at));
        if (a.kind != next_action::exchange) {
          out.ec = a.kind == next_action::done && a.ec ? a.ec : oec;
          t.release(std::move(l), !oec);
          attempt_ended();
        }
        break;
      }
      case next_action::exchange: {
        auto r = co_await t.exchange(*l.conn, req, opts.max_body_size, fsm.deadline());
        exchange_event e;
        e.ec = r.ec;
        e.written = r.request_sent ? write_state::complete : r.write_started ? write_state::partial : write_state::none;
        e.response_started = r.response_started;
        e.reused = l.reused;
        if (r.ec)
          explain_exchange_failure(r, opts, d);
        else
          e.response = take_response(r, spec, out, d);
        // A 401 to a client with no token at all: say that, not only the API's "Invalid token".
        if (!r.ec && d.http_status == 401 && impl.authorization().empty())
          d.client_message = "no token: client_options::token is empty (from_env(): AIVEN_TOKEN and "
                             "AIVEN_AUTH_TOKEN unset and no credentials file)";
        out.ec = r.ec ? r.ec : e.response.ec;
        const auto now = t.now();
        if (!r.ec) {
          // The token's governor learns the API's pace from every answer. Without one,
          // a 429 that names a time pauses the whole client first; then this call
          // decides whether it can wait that long.
          const bool refused = e.response.ec == errc::rate_limited;
          if (refused) impl.rate_limited.fetch_add(1, std::memory_order_relaxed);
          if (auto* g = impl.admission().governor()) {
            impl.admission().on_answer(now, attempt_start, refused, e.response.retry_after);
            if (auto* sb = impl.shared()) {
              sb->report(refused, shared_tag, e.response.retry_after);
              if (auto w = g->take_learned(now)) sb->learn(w->period, w->reopen_in, w->pace_interval);
            }
          }
          else if (auto p = call_fsm::pause_for(e, now))
            impl.admission().pause_until(*p);
        }
        a = fsm.exchanged(e, cancelled(co_await asio::this_coro::cancellation_state), now,
                          impl.admission().blocked_until(now));
        if (a.kind == next_action::done && a.ec) out.ec = a.ec;  // what the call ends with (connection_lost, ...)
        // Settle after writes: a read of what this client just created, not visible yet.
        if (a.kind == next_action::done && a.ec && spec.settle && !r.ec)
          if (auto p = impl.settle().retry_after(spec.method, spec.target, d.http_status, settle_retries, fsm.deadline())) {
            ++settle_retries;
            a = fsm.settle(now, std::chrono::duration_cast<ms>(*p));
          }
        if (a.kind != next_action::open) t.release(std::move(l), !r.ec && r.keep_alive);
        attempt_ended();
        break;
      }
      case next_action::done: {
        out.ec = a.ec;
        if (!a.why.empty()) {
          if (!d.client_message.empty()) d.client_message += "; ";
          d.client_message += a.why;
        }
        d.attempts = fsm.attempts();
        if (!out.ec) impl.settle().record_success(spec.method, spec.target, req.body(), out.response.body);
        co_return out;
      }
    }
  }
}

}  // namespace aiven::detail
