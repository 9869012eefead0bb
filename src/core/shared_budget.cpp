#include "core/shared_budget.hpp"

#include "core/retry.hpp"

#include <openssl/evp.h>

#include <boost/asio/this_coro.hpp>


namespace aiven::detail {

namespace {

// One hash per token. Times are the server's, in microseconds. Fields:
//  mode  0: nothing published (the processes' own governors admit), 1: a window
//  acc   answers that passed before the window was published and while its first
//        closed phase lasts: the first budget, for all processes
//  fa    the first of those answers (the period runs from it)
//  b per the budget and the period; cu: nothing is admitted before it
//  ws wa wo  the window's first admission, its first answer, whether it is open
//  wc wacc wref  admitted, passed and whether a request of the budget was refused in it
//  po pc pr pat  probes out, probe credit, a probe refused, the first probe's slot
//  tat ivl  the pace within a window (GCRA with a tolerance of one interval)
const std::string lua = R"lua(
local k = KEYS[1]
local op = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local margin = 2000
local F = {'mode','acc','fa','b','per','cu','ws','wa','wo','wc','wacc','wref','po','pc','pr','pat','tat','ivl'}
local v = redis.call('HMGET', k, unpack(F))
local s = {}
for i, f in ipairs(F) do s[f] = tonumber(v[i]) or 0 end
local function save()
  local a = {}
  for _, f in ipairs(F) do a[#a + 1] = f; a[#a + 1] = string.format('%.0f', s[f]) end
  redis.call('HSET', k, unpack(a))
  redis.call('PEXPIRE', k, 3600000)
end
local function open_at() return (s.wa > 0 and s.wa or s.ws) + s.per end

if op == 'admit' then
  if s.mode == 0 then return {0, 3, 0} end
  if now < s.cu then return {s.cu - now, 0, 0} end
  if s.wo == 0 or now >= open_at() then
    s.wo = 1; s.ws = now; s.wa = 0; s.wc = 0; s.wacc = 0; s.wref = 0
    s.po = 0; s.pc = 1; s.pr = 0; s.pat = 0; s.tat = now
  end
  local kind = 1
  if s.wc >= s.b then
    if s.pr == 1 or s.po >= s.pc then
      s.cu = open_at()
      save()
      return {s.cu - now, 0, 0}
    end
    kind = 2
  end
  s.wc = s.wc + 1
  if s.tat < now then s.tat = now end
  local slot = math.max(now, s.tat - s.ivl)
  s.tat = s.tat + s.ivl
  if kind == 2 then
    if s.po == 0 and s.pc == 1 then s.pat = slot end
    s.po = s.po + 1
  end
  save()
  return {slot - now, kind, slot}
elseif op == 'ok' then
  local sent = tonumber(ARGV[2]) or 0
  if s.mode == 0 or s.ws == 0 then
    if s.mode == 0 and s.fa > 0 and now - s.fa > 600000000 then s.acc = 0; s.fa = 0 end
    s.acc = s.acc + 1
    if s.fa == 0 then s.fa = now end
    if s.mode == 1 then s.b = math.max(s.b, s.acc) end
  elseif sent >= s.ws then
    s.wacc = s.wacc + 1
    if s.po > 0 and sent >= s.pat then
      s.po = s.po - 1; s.pc = s.pc + 1; s.b = s.b + 1
      if s.wo == 1 then s.cu = 0 end
    end
    if s.wref == 1 then s.b = math.max(s.b, s.wacc) end
    if s.wa == 0 then
      s.wa = now
      if s.cu > s.ws then s.cu = math.max(s.cu, now + s.per) end
    end
  end
  save()
  return 1
elseif op == 'refused' then
  if s.mode == 0 then return 0 end
  local sent = tonumber(ARGV[2]) or 0
  local reopen = now + (tonumber(ARGV[3]) or 1000000)
  if s.ws == 0 or sent < s.ws then
    if now < s.cu and reopen > now and reopen < s.cu then s.cu = reopen end
  elseif s.po > 0 and sent >= s.pat then
    s.po = s.po - 1; s.pr = 1
    if s.wa > 0 then
      if reopen - s.ws + margin < s.per then s.per = math.max(1000, reopen - s.ws + margin) end
      s.cu = open_at()
    else
      s.cu = math.max(s.cu, reopen)
    end
  else
    s.wref = 1
    if s.wa > 0 then
      s.b = math.max(1, s.wacc)
      if reopen - s.ws + margin < s.per then s.per = math.max(1000, reopen - s.ws + margin) end
      s.cu = math.max(s.cu, math.min(reopen, open_at()))
    else
      s.per = math.max(s.per, reopen - s.ws + margin)
      s.cu = math.max(s.cu, reopen)
    end
    s.wo = 0
  end
  save()
  return 1
elseif op == 'learn' then
  if s.mode == 1 then return 0 end
  s.mode = 1
  s.cu = now + tonumber(ARGV[3])
  s.per = tonumber(ARGV[2])
  if s.fa > 0 and s.cu > s.fa then s.per = s.cu - s.fa + margin end
  s.ivl = tonumber(ARGV[4])
  s.b = math.max(1, s.acc)
  s.ws = 0; s.wo = 0
  save()
  return 1
end
return redis.error_reply('unknown op')
)lua";

std::string sha1_hex(const std::string& in) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_sha1(), nullptr);
  return hex({reinterpret_cast<const char*>(md), len});
}

}  // namespace

const std::string& shared_budget::script() { return lua; }

shared_budget::shared_budget(boost::asio::any_io_executor ex, redis_endpoint ep, std::string key,
                             std::chrono::milliseconds timeout)
    : key_(std::move(key)), sha_(sha1_hex(lua)), timeout_(timeout) {
  // The script is loaded on every new connection (a restarted server has forgotten it),
  // before anything that runs it.
  link_ = std::make_shared<redis_link>(std::move(ex), std::move(ep),
                                       std::vector<std::vector<std::string>>{{"SCRIPT", "LOAD", lua}});
}

shared_budget::~shared_budget() { link_->close(); }

std::vector<std::string> shared_budget::eval(std::vector<std::string> argv) const {
  std::vector<std::string> cmd{"EVALSHA", sha_, "1", key_};
  for (auto& a : argv) cmd.push_back(std::move(a));
  return cmd;
}

std::string shared_budget::unreachable() const {
  std::lock_guard lk(why_mu_);
  return why_;
}

std::vector<std::string> shared_budget::admit_command() const { return eval({"admit"}); }

void shared_budget::fail(std::string why) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lk(why_mu_);
  why_ = std::move(why);
}

boost::asio::awaitable<shared_budget::answer> shared_budget::admit() {
  // Built outside the coroutine's expression: GCC 12 miscompiles a braced list of string
  // literals in a co_await ("array used as initializer").
  std::vector<std::string> cmd = admit_command();
  std::optional<redis_value> r = co_await link_->call(std::move(cmd), timeout_);
  answer out;
  out.from = source::unreachable;
  if (!r) {
    std::string why = link_->last_error();
    fail(why.empty() ? "no answer within " + std::to_string(timeout_.count()) + " ms" : why);
    co_return out;
  }
  if (r->type != redis_value::kind::array || r->elements.size() != 3) {
    fail(r->type == redis_value::kind::error ? "the server refused the script: " + r->str
                                             : std::string("the script answered in an unexpected shape"));
    co_return out;
  }
  {
    std::lock_guard lk(why_mu_);
    why_.clear();
  }
  const long long wait = r->elements[0].integer, kind = r->elements[1].integer, slot = r->elements[2].integer;
  if (kind == 3) {  // nothing published: the local governor admits
    out.from = source::local;
    co_return out;
  }
  out.from = source::shared;
  out.a.reserved = kind != 0;
  out.a.wait = std::chrono::microseconds(std::max(0LL, wait));
  out.a.tag = slot;
  co_return out;
}

void shared_budget::report(bool refused, long long tag, std::optional<std::chrono::milliseconds> hint) {
  if (refused)
    link_->send(eval({"refused", std::to_string(tag),
                      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                         hint.value_or(std::chrono::milliseconds(1000)))
                                         .count())}));
  else
    link_->send(eval({"ok", std::to_string(tag)}));
}

void shared_budget::learn(std::chrono::microseconds period, std::chrono::microseconds reopen_in,
                          std::chrono::microseconds pace) {
  link_->send(eval({"learn", std::to_string(period.count()), std::to_string(std::max<long long>(0, reopen_in.count())),
                    std::to_string(pace.count())}));
}

}  // namespace aiven::detail
