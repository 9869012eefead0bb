// decode-bench: the cost of typed decoding next to boost::json::parse of the
// same body, for the three benchmark bodies.
//
//   decode-bench DIR [--iterations N]   (DIR holds project.json, clouds.json, service.json)
//
// Per body it times (a) boost::json::parse, (b) the typed mapping of the parsed
// value into the generated structs (and their destruction), as the client runs
// it after parsing; best of five rounds each. It prints one JSON line per body
// with ns per operation and mapping / parse.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

bool bench_decode_service(const boost::json::value& v);
bool bench_decode_project(const boost::json::value& v);
bool bench_decode_clouds(const boost::json::value& v);

namespace {

std::string read_file(const std::string& name) {
  std::ifstream in(name, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "decode-bench: cannot read %s\n", name.c_str());
    std::exit(1);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The best of five rounds: the machine is shared, and noise only ever adds time.
template <class F>
double ns_per_op(long n, F&& f) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) f();
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / double(n);
    if (ns < best) best = ns;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: decode-bench DIR [--iterations N]\n");
    return 2;
  }
  std::string dir = argv[1];
  long iterations = argc >= 4 ? std::atol(argv[3]) : 0;
  struct body {
    const char* name;
    bool (*decode)(const boost::json::value&);
  };
  int status = 0;
  for (body b : {body{"project", bench_decode_project}, body{"clouds", bench_decode_clouds},
                 body{"service", bench_decode_service}}) {
    auto text = read_file(dir + "/" + b.name + ".json");
    auto parsed = boost::json::parse(text);
    if (!b.decode(parsed)) {
      std::fprintf(stderr, "decode-bench: %s.json does not decode\n", b.name);
      status = 1;
      continue;
    }
    // About 0.1 s per round unless told.
    long n = iterations > 0 ? iterations : static_cast<long>(4e7 / double(text.size() + 1000)) + 1;
    volatile std::size_t sink = 0;
    double parse_ns = ns_per_op(n, [&] { sink = sink + boost::json::parse(text).as_object().size(); });
    double map_ns = ns_per_op(n, [&] { sink = sink + b.decode(parsed); });
    std::printf("{\"body\":\"%s\",\"bytes\":%zu,\"iterations\":%ld,\"parse_ns\":%.0f,\"typed_map_ns\":%.0f,"
                "\"map_over_parse\":%.2f}\n",
                b.name, text.size(), n, parse_ns, map_ns, map_ns / parse_ns);
  }
  return status;
}
