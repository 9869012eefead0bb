#include "core/flight.hpp"

#include "core/admission.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <vector>

namespace aiven::detail {

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

// Takes f out of the client's table (under flights_mu), once: later callers start a new request.
void unlist(client_impl& impl, flight& f) {
  if (!f.listed) return;
  auto it = impl.flights.find(f.key);
  if (it != impl.flights.end() && it->second.get() == &f) impl.flights.erase(it);
  f.listed = false;
}

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
      unlist(*impl, *f);
      last = true;
    }
  }
  // The last one out cancels the shared request, which closes its connection.
  if (last) asio::post(f->strand, [f] { f->cancel.emit(asio::cancellation_type::terminal); });
}

}  // namespace

void join_flight(const std::shared_ptr<client_impl>& impl, call_spec spec, diagnostics* diag, completion done) {
  std::string key = spec.accept + ' ' + (spec.parse_json ? "j " : spec.decoder ? "t " : "r ") + spec.target;
  const auto now = clock::now();
  const auto my_deadline = deadline_after(now, spec.timeout);
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
      slot = std::make_shared<flight>(impl->executor(), std::max(my_deadline, deadline_after(now, impl->options().request_timeout)));
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
                        unlist(*impl, *f);
                        ps.swap(f->participants);
                      }
                      for (std::size_t i = 0; i < ps.size(); ++i) {
                        auto& p = ps[i];
                        {
                          std::lock_guard lk(p->mu);
                          if (p->finished) continue;  // left already: its handler (and diagnostics) may be gone
                          p->finished = true;
                          p->timer.cancel();
                        }
                        if (p->diag) *p->diag = *shared_diag;
                        // The body is copied for all but the last participant, which takes it.
                        std::move(p->done).complete(i + 1 == ps.size() ? std::move(r) : call_result(r), &impl->executor());
                      }
                    }),
                    f->strand);
  spawn_call(impl, std::move(spec), shared_diag.get(), std::move(shared), f->cancel.slot(), f->strand);
}

}  // namespace aiven::detail
