// The scheduler under aiven::bulk(): workers on one strand, cancellation
// forwarded to each, completion only once the last worker has returned.
#include <aiven/bulk.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <deque>

namespace aiven::detail {

namespace asio = boost::asio;

namespace {

struct bulk_state {
  asio::strand<asio::any_io_executor> strand;
  asio::any_io_executor handler_ex;  // keeps the handler's executor busy until done
  asio::cancellation_slot slot;
  std::size_t n = 0, next = 0, live = 0, finished = 0;
  bool cancelled = false;
  std::function<asio::awaitable<void>(std::size_t)> item;
  std::deque<asio::cancellation_signal> signals;  // one per worker; a deque never moves them
  diagnostics* diag = nullptr;
  std::function<void(error_code, std::size_t)> done;
};

asio::awaitable<void> worker(std::shared_ptr<bulk_state> st) {
  while (!st->cancelled && st->next < st->n) {
    const std::size_t i = st->next++;
    co_await st->item(i);  // never throws: the item records its own failure
    ++st->finished;
  }
}

void finish(const std::shared_ptr<bulk_state>& st) {
  if (st->slot.is_connected()) st->slot.clear();
  error_code ec;
  if (st->cancelled) {
    ec = asio::error::operation_aborted;
    if (st->diag)
      st->diag->client_message = "bulk: cancelled; " + std::to_string(st->finished) + " of " + std::to_string(st->n) +
                                 " items finished";
  }
  const std::size_t finished = st->finished;
  asio::dispatch(st->handler_ex, [st, ec, finished]() mutable {
    auto done = std::move(st->done);
    st->item = nullptr;  // the items' shared state goes with the last reference
    done(ec, finished);
  });
}

}  // namespace

void bulk_erased(asio::any_io_executor ex, asio::cancellation_slot slot, std::size_t n, std::size_t max_in_flight,
                 std::function<asio::awaitable<void>(std::size_t)> item, diagnostics* diag,
                 std::function<void(error_code, std::size_t)> done) {
  if (diag) diag->clear();
  auto st = std::make_shared<bulk_state>(bulk_state{asio::make_strand(ex),
                                                    asio::prefer(ex, asio::execution::outstanding_work.tracked),
                                                    slot,
                                                    n,
                                                    0,
                                                    0,
                                                    0,
                                                    false,
                                                    std::move(item),
                                                    {},
                                                    diag,
                                                    std::move(done)});
  asio::post(st->strand, [st, max_in_flight]() {
    if (st->n == 0) {
      // Completed from the strand, never inside the initiating call.
      finish(st);
      return;
    }
    if (st->slot.is_connected()) {
      st->slot.assign([st](asio::cancellation_type type) {
        asio::dispatch(st->strand, [st, type]() {
          if (st->live == 0) return;  // already finishing
          st->cancelled = true;
          for (auto& s : st->signals) s.emit(type);
        });
      });
    }
    const std::size_t k = std::min(std::max<std::size_t>(max_in_flight, 1), st->n);
    st->live = k;
    for (std::size_t w = 0; w < k; ++w) {
      st->signals.emplace_back();
      asio::co_spawn(st->strand, worker(st),
                     asio::bind_cancellation_slot(st->signals.back().slot(), [st](std::exception_ptr) {
                       if (--st->live == 0) finish(st);
                     }));
    }
  });
}

}  // namespace aiven::detail
