// aiven-bench: N calls of one typed operation with C in flight; the last line
// printed is one JSON object with the figures (CPU and RSS from getrusage).
//
//   aiven-bench [--url https://127.0.0.1:8443 --ca-file ca.pem]
//               [--endpoint /v1/project|/v1/clouds|/v1/project/P/service/S]
//               [--requests N] [--concurrency C] [--pool N] [--gzip on|off] [--count-bytes]
// --count-bytes installs an on_attempt hook (it costs CPU) to print the body bytes
// per request on the wire and inflated.
// Token from AIVEN_TOKEN. Without --url it starts the simulator in-process.
#include <aiven/api/cloud_platforms.hpp>
#include <aiven/api/project.hpp>
#include <aiven/api/service.hpp>
#include <aiven/client.hpp>
#include <aiven/sim/simulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace asio = boost::asio;
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // ProjectList: deprecated in the document, still served

namespace {

struct args {
  std::string url, ca_file, endpoint = "/v1/project", write_bodies;
  long requests = 10000, concurrency = 64, pool = 64;
  bool gzip = true, count_bytes = false;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: aiven-bench [--url URL --ca-file PEM] [--endpoint /v1/project|/v1/clouds|/v1/project/P/service/S]\n"
               "                   [--requests N] [--concurrency C] [--pool N] [--gzip on|off] [--count-bytes]\n"
               "       aiven-bench --write-bodies DIR   (the simulator's project.json, clouds.json, service.json)\n");
  std::exit(2);
}

args parse(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--count-bytes") {
      a.count_bytes = true;
      continue;
    }
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    if (k == "--url") a.url = v;
    else if (k == "--ca-file") a.ca_file = v;
    else if (k == "--endpoint") a.endpoint = v;
    else if (k == "--requests") a.requests = std::atol(v.c_str());
    else if (k == "--concurrency") a.concurrency = std::atol(v.c_str());
    else if (k == "--pool") a.pool = std::atol(v.c_str());
    else if (k == "--write-bodies") a.write_bodies = v;
    else if (k == "--gzip") a.gzip = v != "off";
    else usage();
  }
  if (a.requests <= 0 || a.concurrency <= 0 || a.pool <= 0) usage();
  return a;
}

// One typed call per endpoint, each its own coroutine so that a pending call's
// frame holds only its own result type; true when it succeeded and decoded.
asio::awaitable<bool> clouds_call(const aiven::client& c) {
  aiven::api::list_clouds_request req;  // named: see README, "Compilers"
  auto [ec, r] = co_await aiven::api::async_list_clouds(c, std::move(req), asio::as_tuple(asio::use_awaitable));
  co_return !ec && !r.empty();
}

asio::awaitable<bool> project_call(const aiven::client& c) {
  aiven::api::project_list_request req;
  auto [ec, r] = co_await aiven::api::async_project_list(c, std::move(req), asio::as_tuple(asio::use_awaitable));
  co_return !ec && !r.projects.empty();
}

asio::awaitable<bool> service_call(const aiven::client& c, const std::string& project, const std::string& service) {
  aiven::api::service_get_request req;
  req.project = project;
  req.service_name = service;
  auto [ec, r] = co_await aiven::api::async_service_get(c, std::move(req), asio::as_tuple(asio::use_awaitable));
  co_return !ec && !r.service_name.empty();
}

// The bodies the simulator serves for the three endpoints, as files for a static
// server: a project list of a few projects (~2 KB), the clouds (~100) and one
// service with its connection info and components.
int write_bodies(const std::string& dir) {
  aiven::sim::simulator sim(aiven::sim::simulator_options{.service_ready_delay = {}});
  sim.add_project("acme-prod");  // with "demo": ~2 KB, as a small organisation's list
  asio::io_context io(1);
  auto opts = aiven::client_options{};
  opts.base_url = sim.base_url();
  opts.token = sim.token();
  opts.ca_pem = sim.ca_pem();
  aiven::client c(io.get_executor(), opts);
  int status = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto create = aiven::raw_request::post("/v1/project/demo/service",
        R"({"service_name":"pg-main","service_type":"pg","plan":"business-8","cloud":"google-europe-west1"})");
    co_await c.async_request(std::move(create), asio::use_awaitable);
    for (auto [file, path] : {std::pair{"project.json", "/v1/project"}, {"clouds.json", "/v1/clouds"},
                              {"service.json", "/v1/project/demo/service/pg-main"}}) {
      auto r = co_await c.async_request(aiven::raw_request::get(path), asio::use_awaitable);
      std::string name = dir + "/" + file;
      std::FILE* f = std::fopen(name.c_str(), "wb");
      if (!f || std::fwrite(r.body.data(), 1, r.body.size(), f) != r.body.size()) status = 1;
      if (f) std::fclose(f);
      std::printf("%s: %zu bytes\n", name.c_str(), r.body.size());
    }
  }, [&](std::exception_ptr e) { if (e) status = 1; });
  io.run();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  args a = parse(argc, argv);
  if (!a.write_bodies.empty()) return write_bodies(a.write_bodies);
  std::string project, service;
  if (a.endpoint.rfind("/v1/project/", 0) == 0) {
    auto rest = a.endpoint.substr(std::strlen("/v1/project/"));
    auto slash = rest.find("/service/");
    if (slash == std::string::npos) usage();
    project = rest.substr(0, slash);
    service = rest.substr(slash + std::strlen("/service/"));
  } else if (a.endpoint != "/v1/project" && a.endpoint != "/v1/clouds") {
    usage();
  }

  auto opts = aiven::client_options::from_env();
  std::unique_ptr<aiven::sim::simulator> sim;
  if (a.url.empty()) {
    sim = std::make_unique<aiven::sim::simulator>(aiven::sim::simulator_options{.service_ready_delay = {}});
    opts.base_url = sim->base_url();
    opts.token = sim->token();
    opts.ca_pem = sim->ca_pem();
  } else {
    opts.base_url = a.url;
    opts.ca_file = a.ca_file;
  }
  opts.pool.max_connections = static_cast<std::size_t>(a.pool);
  opts.single_flight = false;  // every call on the wire: identical GETs must not be shared
  opts.accept_gzip = a.gzip;
  // Single-threaded io_context: plain counters.
  unsigned long long wire_bytes = 0, body_bytes = 0;
  if (a.count_bytes)
    opts.on_attempt = [&](const aiven::attempt_record& r) {
      wire_bytes += r.response_wire_bytes;
      body_bytes += r.response_bytes;
    };

  asio::io_context io(1);
  aiven::client c(io.get_executor(), opts);
  if (sim && !service.empty()) {
    // Create the service the benchmark reads.
    aiven::api::service_create_request req;
    req.project = project;
    req.body.service_name = service;
    req.body.service_type = "pg";
    req.body.plan = "startup-4";
    sim->add_project(project);
    asio::co_spawn(io, aiven::api::async_service_create(c, std::move(req), asio::use_awaitable), asio::detached);
    io.run();
    io.restart();
  }

  long started = 0, done = 0, errors = 0;
  auto spawn_workers = [&](auto call) {
    for (long i = 0; i < a.concurrency; ++i)
      asio::co_spawn(io, [&, call]() -> asio::awaitable<void> {
        while (started < a.requests) {
          ++started;
          bool ok = co_await call();
          ++done;
          if (!ok) ++errors;
        }
      }, asio::detached);
  };
  auto t0 = std::chrono::steady_clock::now();
  rusage r0{};
  getrusage(RUSAGE_SELF, &r0);
  if (a.endpoint == "/v1/clouds")
    spawn_workers([&c] { return clouds_call(c); });
  else if (a.endpoint == "/v1/project")
    spawn_workers([&c] { return project_call(c); });
  else
    spawn_workers([&c, &project, &service] { return service_call(c, project, service); });
  io.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage r1{};
  getrusage(RUSAGE_SELF, &r1);
  auto secs = [](timeval a, timeval b) { return double(b.tv_sec - a.tv_sec) + double(b.tv_usec - a.tv_usec) / 1e6; };
  // With the in-process simulator its threads are in these figures too.
  double user = secs(r0.ru_utime, r1.ru_utime), sys = secs(r0.ru_stime, r1.ru_stime);
  auto st = c.stats();
  std::printf("# %ld requests, %ld errors, %.3f s, %llu TLS handshakes%s\n", done, errors, wall,
              static_cast<unsigned long long>(st.connections_opened),
              sim ? " (in-process simulator: its CPU is included)" : "");
  if (a.count_bytes && done > 0)
    std::printf("# body bytes per request: %.0f on the wire, %.0f inflated (gzip %s)\n", double(wire_bytes) / done,
                double(body_bytes) / done, a.gzip ? "on" : "off");
  std::printf(
      "{\"peer\":\"aiven-cpp\",\"endpoint\":\"%s\",\"requests\":%ld,\"concurrency\":%ld,\"errors\":%ld,"
      "\"wall_s\":%.4f,\"req_per_s\":%.1f,\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"cpu_us_per_req\":%.2f,"
      "\"max_rss_kb\":%ld,\"tls_handshakes\":%llu}\n",
      a.endpoint.c_str(), done, a.concurrency, errors, wall, done / wall, user, sys, (user + sys) * 1e6 / done,
      r1.ru_maxrss, static_cast<unsigned long long>(st.connections_opened));
  return errors ? 1 : 0;
}
