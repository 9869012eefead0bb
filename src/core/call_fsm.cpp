#include "core/call_fsm.hpp"

#include <boost/asio/error.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>

namespace aiven::detail {

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


response_class classify_response(unsigned status, const std::string* retry_after, const diagnostics& d,
                                 std::chrono::system_clock::time_point now) {
  response_class rc;
  if (status >= 200 && status < 300) return rc;
  rc.ec = errc_from_status(status);
  rc.may_have_executed = status != 429;  // 429: refused, not executed
  if (status == 429 || status == 503) {
    // The header first; Aiven's message says the same in words when it is absent.
    if (retry_after) rc.retry_after = parse_retry_after(*retry_after, now);
    if (!rc.retry_after) rc.retry_after = parse_try_again_hint(d.message);
    for (auto& e : d.errors)
      if (!rc.retry_after) rc.retry_after = parse_try_again_hint(e.message);
  }
  return rc;
}

namespace {
error_code asio_aborted() { return boost::asio::error::operation_aborted; }
constexpr std::string_view cancelled_why = "cancelled";
constexpr std::string_view pause_why = "the API's rate limit pause outlasts the call's deadline";
constexpr std::string_view no_time_why = "no time left for another attempt before the deadline";
constexpr std::string_view rate_wait_why = "retry_options::max_rate_limit_wait is used up";
constexpr std::string_view executed_why = "the request may have been executed, so it was not sent again";
}  // namespace

next_action call_fsm::finish(error_code ec, std::string_view why) {
  going_on_ = false;
  next_action a;
  a.kind = next_action::done;
  a.ec = ec;
  a.why = why;
  return a;
}

next_action call_fsm::admitted(call_clock::time_point now, call_clock::time_point allowed_at, bool cancelled,
                               call_clock::time_point paused_until, bool reserved) {
  if (cancelled) return finish(asio_aborted(), cancelled_why);
  going_on_ = true;
  if (allowed_at > now) {
    if (allowed_at >= deadline_) {
      // Refused by the client before anything was sent: for the API's pause or the
      // token's closed budget, as the API itself would have (rate_limited); for the
      // client's own bucket, a timeout.
      if (paused_until > now || !reserved)
        return finish(last_ec_ ? last_ec_ : error_code(errc::rate_limited), pause_why);
      return finish(last_ec_ ? last_ec_ : error_code(errc::timeout),
                    "the client's rate_limit delays the attempt past the call's deadline");
    }
    // Not reserved: the budget is closed until then; ask again.
    after_backoff_ = !reserved;
    return {next_action::wait, allowed_at};
  }
  ++attempts_;
  return {next_action::acquire};
}

next_action call_fsm::waited(bool cancelled) {
  if (cancelled) return finish(asio_aborted(), cancelled_why);
  going_on_ = true;
  if (after_backoff_) {
    after_backoff_ = false;
    return {next_action::admit};
  }
  ++attempts_;
  return {next_action::acquire};
}

next_action call_fsm::acquired(error_code ec, bool has_connection, bool cancelled) {
  if (ec == errc::timeout) return finish(ec, "no pooled connection became free before the deadline");
  if (ec || cancelled) return finish(asio_aborted(), cancelled_why);
  going_on_ = true;
  return {has_connection ? next_action::exchange : next_action::open};
}

next_action call_fsm::opened(error_code ec, bool permanent, bool cancelled, call_clock::time_point now,
                             call_clock::time_point paused_until) {
  if (cancelled) return finish(asio_aborted(), cancelled_why);
  if (!ec) {
    going_on_ = true;
    return {next_action::exchange};
  }
  last_ec_ = ec;
  if (permanent || ec == errc::timeout) return finish(ec);
  return retry_after_failure({ec, false, std::nullopt}, now, paused_until);
}

next_action call_fsm::exchanged(const exchange_event& e, bool cancelled, call_clock::time_point now,
                                call_clock::time_point paused_until) {
  if (cancelled || e.ec == boost::asio::error::operation_aborted) return finish(asio_aborted(), cancelled_why);
  if (e.ec) {
    last_ec_ = e.ec;
    if (e.ec == errc::timeout || e.ec == errc::body_too_large) return finish(e.ec);
    if (e.ec != errc::bad_response && e.reused && !e.response_started) {
      // A reused keep-alive connection that failed before any answer. When the
      // request did not all reach the socket the server cannot have run it; when
      // it did, only a request safe to repeat goes again: the server may have
      // read it and closed the connection after running it.
      if (e.written != write_state::complete || idempotent_) {
        stale_resend_ = true;
        going_on_ = true;
        ++attempts_;
        return {next_action::open};
      }
      return finish(errc::connection_lost, executed_why);
    }
    return retry_after_failure({e.ec, e.written == write_state::complete, std::nullopt}, now, paused_until);
  }
  last_ec_ = e.response.ec;
  if (!e.response.ec) return finish({});
  return retry_after_failure({e.response.ec, e.response.may_have_executed, e.response.retry_after}, now,
                             paused_until);
}

next_action call_fsm::settle(call_clock::time_point now, ms delay) {
  const auto resume = now + std::min(delay, ms(max_pause));
  if (resume >= deadline_) return finish(last_ec_, no_time_why);
  ++retries_;
  going_on_ = true;
  after_backoff_ = true;
  return {next_action::wait, resume};
}

next_action call_fsm::retry_after_failure(const attempt_result& r, call_clock::time_point now,
                                          call_clock::time_point paused_until) {
  auto step = retry_.on_attempt(r);
  if (!step.retry) {
    last_ec_ = step.final_ec;
    if (r.ec == errc::rate_limited) return finish(step.final_ec, rate_wait_why);
    return finish(step.final_ec, step.final_ec == errc::connection_lost && r.ec != errc::connection_lost
                                     ? executed_why
                                     : std::string_view{});
  }
  const auto resume = now + std::min(step.delay, ms(max_pause));
  if (std::max(resume, paused_until) >= deadline_)
    return finish(last_ec_, paused_until >= deadline_ || (step.shared_pause && r.retry_after) ? pause_why : no_time_why);
  ++retries_;
  going_on_ = true;
  // A 429 that named a time was recorded as the client's pause (rate_limit_options::adaptive
  // off): admission waits for it. Else the refused request waits its hint, then asks the
  // token's governor, which paces it with the others.
  if (step.shared_pause && r.retry_after && paused_until > now) return {next_action::admit};
  after_backoff_ = true;
  return {next_action::wait, resume};
}

std::optional<call_clock::time_point> call_fsm::pause_for(const exchange_event& e, call_clock::time_point now) {
  if (e.ec || e.response.ec != errc::rate_limited || !e.response.retry_after) return std::nullopt;
  return now + std::min(*e.response.retry_after, ms(max_pause));
}

}  // namespace aiven::detail
