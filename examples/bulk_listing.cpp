// Every service of every project, fetched concurrently with at most 4 calls in
// flight; one project's failure does not stop the others.
#include "example_env.hpp"

#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/bulk.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

// ProjectList is marked deprecated in the API document but is what the API
// and its official clients still use to list projects.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

int main() {
  auto env = example::setup({.service_ready_delay = 0ms});
  asio::io_context io;
  aiven::client c(io.get_executor(), env.opts);
  return example::run(io, [&]() -> asio::awaitable<void> {
    if (!env.live()) {
      // Six projects with a few services each.
      const char* types[] = {"pg", "kafka", "opensearch", "mysql"};
      for (int p = 1; p <= 6; ++p) {
        std::string name = "team-" + std::to_string(p);
        env.sim->add_project(name);
        for (int s = 0; s < p % 4 + 1; ++s) {
          auto create = aiven::api::service_create_request{.project = name};
          create.body.service_name = std::string(types[s]) + "-" + std::to_string(p);
          create.body.service_type = types[s];
          create.body.plan = "startup-4";
          co_await aiven::api::async_service_create(c, std::move(create));
        }
      }
    }
    auto projects = co_await aiven::api::async_project_list(c);
    std::vector<std::string> names;
    for (auto& p : projects.projects) names.push_back(p.project_name);
    if (!env.live()) names.push_back("team-gone");  // to show a per-item error

    auto t0 = std::chrono::steady_clock::now();
    using services = std::vector<aiven::api::service_out>;
    auto results = co_await aiven::bulk(names, 4, [&](const std::string& project) -> asio::awaitable<services> {
      auto req = aiven::api::service_list_request{.project = project};
      co_return co_await aiven::api::async_service_list(c, req);  // failures: api_error, kept per project
    });
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();

    std::size_t services = 0, failed = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto& r = results[i];
      if (!r) {
        ++failed;
        std::printf("%-10s failed: %s\n", names[i].c_str(), r.error_message().c_str());
        continue;
      }
      std::printf("%-10s %zu service(s):", names[i].c_str(), r.value->size());
      for (auto& s : *r.value) std::printf(" %s(%s)", s.service_name.c_str(), s.service_type.c_str());
      std::printf("\n");
      services += r.value->size();
    }
    std::printf("%zu projects, %zu services, %zu failed, in %lld ms with at most 4 calls in flight\n", names.size(),
                services, failed, static_cast<long long>(ms));
  });
}
