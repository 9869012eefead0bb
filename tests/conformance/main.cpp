// Prism conformance: every generated operation against `prism mock -d` of the OpenAPI document.
//
//   aiven_conformance <base-url> [--jobs N] [--filter SUBSTRING]
//
// Each operation is called twice (required members only, then every optional member too); it
// passes when both calls complete with success and the typed result parsed. Prints each failure
// with its operation id and diagnostics, the operations excluded with their reason, then
// "N/N operations passed". Exit status 0 only when every counted operation passed.
#include "harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct run_state {
  std::vector<conformance::test_case> cases;
  std::size_t next = 0;
  std::size_t passed = 0;
  std::vector<std::string> failures;
};

boost::asio::awaitable<void> worker(aiven::client c, run_state& st) {
  while (st.next < st.cases.size()) {
    const conformance::test_case& tc = st.cases[st.next++];
    std::string result;
    try {
      result = co_await tc.fn(c);
    } catch (const std::exception& e) {
      result = std::string("  exception: ") + e.what() + "\n";
    }
    if (result.empty()) {
      ++st.passed;
    } else {
      st.failures.push_back(std::string("FAIL ") + tc.operation_id + "\n" + result);
      std::cout << st.failures.back() << std::flush;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <base-url> [--jobs N] [--filter SUBSTRING]\n";
    return 2;
  }
  std::string base = argv[1];
  std::size_t jobs = 16;
  std::string filter;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--jobs") == 0) jobs = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--filter") == 0) filter = argv[i + 1];
  }
  run_state st;
  std::vector<conformance::exclusion> excluded;
  conformance::register_all(st.cases, excluded);
  if (!filter.empty()) {
    std::erase_if(st.cases, [&](const auto& c) { return std::string(c.operation_id).find(filter) == std::string::npos; });
  }

  boost::asio::io_context ioc;
  aiven::client_options opts;
  opts.base_url = base;
  opts.allow_insecure_http = true;  // Prism serves plain HTTP on 127.0.0.1
  opts.token = "test-token";
  opts.pool.max_connections = jobs;
  aiven::client c(ioc.get_executor(), opts);
  for (std::size_t i = 0; i < jobs; ++i) {
    boost::asio::co_spawn(ioc, worker(c, st), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  ioc.run();

  for (const auto& ex : excluded) {
    std::cout << "EXCLUDED " << ex.operation_id << ": " << ex.reason << "\n";
  }
  std::cout << st.passed << "/" << st.cases.size() << " operations passed";
  if (!excluded.empty()) std::cout << " (" << excluded.size() << " excluded, listed above)";
  std::cout << "\n";
  return st.passed == st.cases.size() ? 0 : 1;
}
