// Admission: at most max_running() calls run at once; the others wait in a
// queue as small entries, each with its own deadline and cancellation.
#include "core/admission.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace aiven::detail {
namespace {

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
    // In milliseconds: milliseconds::max() (no deadline) in nanoseconds overflows.
    auto left = next->spec.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - next->queued_at);
    if (left.count() <= 0) {
      fail_queued(*impl, next, errc::timeout, "no connection became free before the deadline");
      continue;
    }
    next->spec.timeout = left;
    launch_call(impl, std::move(next->spec), next->diag, std::move(next->done), next->slot, next->strand, next->cc);
    return;  // the running count passes to it
  }
}

}  // namespace

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
  q->timer.expires_at(deadline_after(q->queued_at, q->spec.timeout));
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

}  // namespace aiven::detail
