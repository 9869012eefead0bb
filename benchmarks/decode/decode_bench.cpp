// decode-bench: the cost of typed decoding next to the parse alone, for the three benchmark bodies.
//
//   decode-bench DIR [--iterations N]   (DIR holds project.json, clouds.json, service.json)
//
// Per body it times, best of five rounds each:
//   (a) Boost.JSON's basic_parser over the bytes with a handler that does nothing: the floor of
//       any decoding;
//   (b) the typed decoding the client runs: the generated SAX decoder, parser events straight
//       into the generated structs (and their destruction);
//   (c) for comparison, the former path: boost::json::parse into a tree, then the tree mapped
//       into the structs.
// It prints one JSON line per body with ns per operation and typed / null parser (target <= 1.5).
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

bool bench_sax_service(std::string_view body);
bool bench_sax_project(std::string_view body);
bool bench_sax_clouds(std::string_view body);
bool bench_tree_service(const boost::json::value& v);
bool bench_tree_project(const boost::json::value& v);
bool bench_tree_clouds(const boost::json::value& v);

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

// Every event accepted, nothing done.
struct null_handler {
  using string_view = boost::json::string_view;
  using error_code = boost::json::error_code;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_key_part(string_view, std::size_t, error_code&) { return true; }
  bool on_key(string_view, std::size_t, error_code&) { return true; }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

bool null_parse(std::string_view body) {
  boost::json::basic_parser<null_handler> p{boost::json::parse_options{}};
  boost::json::error_code ec;
  p.write_some(false, body.data(), body.size(), ec);
  return !ec;
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
    bool (*sax)(std::string_view);
    bool (*tree)(const boost::json::value&);
  };
  int status = 0;
  for (body b : {body{"project", bench_sax_project, bench_tree_project},
                 body{"clouds", bench_sax_clouds, bench_tree_clouds},
                 body{"service", bench_sax_service, bench_tree_service}}) {
    auto text = read_file(dir + "/" + b.name + ".json");
    if (!null_parse(text) || !b.sax(text) || !b.tree(boost::json::parse(text))) {
      std::fprintf(stderr, "decode-bench: %s.json does not decode\n", b.name);
      status = 1;
      continue;
    }
    // About 0.1 s per round unless told.
    long n = iterations > 0 ? iterations : static_cast<long>(4e7 / double(text.size() + 1000)) + 1;
    volatile std::size_t sink = 0;
    double null_ns = ns_per_op(n, [&] { sink = sink + null_parse(text); });
    double sax_ns = ns_per_op(n, [&] { sink = sink + b.sax(text); });
    double tree_ns = ns_per_op(n, [&] {
      auto v = boost::json::parse(text);
      sink = sink + b.tree(v);
    });
    std::printf("{\"body\":\"%s\",\"bytes\":%zu,\"iterations\":%ld,\"null_parser_ns\":%.0f,\"typed_ns\":%.0f,"
                "\"typed_over_null\":%.2f,\"parse_then_map_ns\":%.0f}\n",
                b.name, text.size(), n, null_ns, sax_ns, sax_ns / null_ns, tree_ns);
  }
  return status;
}
