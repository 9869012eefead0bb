// aiven-sim: runs the local Aiven API simulator until SIGINT or SIGTERM.
#include <aiven/sim/simulator.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include <pthread.h>

namespace {

void usage(std::ostream& out) {
  out << "usage: aiven-sim [options]\n"
         "  --host HOST             address to listen on (default 127.0.0.1)\n"
         "  --port PORT             port (default 0: an ephemeral port)\n"
         "  --cert-file FILE        server certificate chain (PEM); with --key-file\n"
         "  --key-file FILE         server private key (PEM)\n"
         "                          without them a CA and a certificate are generated\n"
         "  --token TOKEN           accepted API token; repeatable (default sim-token)\n"
         "  --ready-delay-ms MS     time for a new service to become RUNNING (default 1000)\n"
         "  --threads N             server threads (default 2)\n"
         "  --idle-timeout-ms MS    idle keep-alive connections are closed after this (default 60000)\n"
         "  --fault-rate R          share of requests (0..1) given a random fault (default 0)\n"
         "  --fault-seed N          seed of the random faults (default 1)\n"
         "  --seed FILE.json        create the projects and services of FILE at start:\n"
         "                          {\"projects\":[{\"project_name\":\"p\",\"services\":[{\"service_name\":\"pg1\",\n"
         "                          \"service_type\":\"pg\",\"plan\":\"startup-4\"}]}]} (a number: --fault-seed)\n"
         "  --rate-limit N/T        Aiven's rate limiter: N requests per T seconds per token (default off)\n"
         "  --rate-limit-mode M     fixed-window (default) or leaky-bucket\n"
         "  --rate-limit-burst N    leaky bucket: its size (default N of --rate-limit)\n"
         "  --rate-limit-hint S     the 429 always says 'try again in Ss' (default: the exact wait)\n"
         "  --rate-limit-no-header  the 429 carries no Retry-After (the message still names the wait)\n"
         "  --consistency-ms MS     reads of a resource created less than MS ago answer 404 (default 0)\n"
         "  --write-ca FILE         write the CA certificate (PEM) to FILE\n"
         "  --port-file FILE        write the port to FILE once listening\n"
         "  --print-env             print AIVEN_WEB_URL, AIVEN_AUTH_TOKEN, AIVEN_TOKEN and AIVEN_CA_CERT\n"
         "                          as KEY=VALUE lines on stdout once listening (the CA is written to a\n"
         "                          temporary file unless --write-ca names one); other output goes to stderr\n"
         "  --help                  this text\n";
}

[[noreturn]] void bad_usage(const std::string& message) {
  std::cerr << "aiven-sim: " << message << "\n";
  usage(std::cerr);
  std::exit(2);
}

unsigned long long to_number(std::string_view flag, const std::string& value) {
  try {
    std::size_t used = 0;
    unsigned long long v = std::stoull(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  bad_usage("invalid value for " + std::string(flag) + ": " + value);
}

}  // namespace

int main(int argc, char** argv) {
  aiven::sim::simulator_options opts;
  std::string ca_out, seed_file, port_file;
  bool tokens_given = false, print_env = false;

  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(std::cout);
      return 0;
    }
    if (flag == "--print-env") {
      print_env = true;
      continue;
    }
    if (flag == "--rate-limit-no-header") {
      opts.rate_limit.retry_after_header = false;
      continue;
    }
    if (i + 1 >= argc) bad_usage("missing value for " + std::string(flag));
    std::string value = argv[++i];
    if (flag == "--host") {
      opts.host = value;
    } else if (flag == "--port") {
      auto p = to_number(flag, value);
      if (p > 65535) bad_usage("invalid port: " + value);
      opts.port = static_cast<std::uint16_t>(p);
    } else if (flag == "--cert-file") {
      opts.cert_file = value;
    } else if (flag == "--key-file") {
      opts.key_file = value;
    } else if (flag == "--token") {
      if (!tokens_given) opts.tokens.clear();
      tokens_given = true;
      opts.tokens.push_back(value);
    } else if (flag == "--ready-delay-ms") {
      opts.service_ready_delay = std::chrono::milliseconds(to_number(flag, value));
    } else if (flag == "--threads") {
      opts.threads = to_number(flag, value);
    } else if (flag == "--idle-timeout-ms") {
      opts.idle_timeout = std::chrono::milliseconds(to_number(flag, value));
    } else if (flag == "--fault-rate") {
      try {
        opts.random_fault_rate = std::stod(value);
      } catch (const std::exception&) {
        bad_usage("invalid value for --fault-rate: " + value);
      }
    } else if (flag == "--fault-seed") {
      opts.random_seed = to_number(flag, value);
    } else if (flag == "--seed") {
      // A number is the seed of the random faults, as before; anything else a seed file.
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
        opts.random_seed = to_number(flag, value);
      else
        seed_file = value;
    } else if (flag == "--rate-limit") {
      auto slash = value.find('/');
      if (slash == std::string::npos) bad_usage("--rate-limit wants N/T, e.g. 120/60");
      opts.rate_limit.requests = static_cast<unsigned>(to_number(flag, value.substr(0, slash)));
      opts.rate_limit.window = std::chrono::seconds(to_number(flag, value.substr(slash + 1)));
      if (opts.rate_limit.window.count() == 0) bad_usage("--rate-limit: T must be at least 1 second");
      if (opts.rate_limit.mode == aiven::sim::rate_limit_mode::off)
        opts.rate_limit.mode = aiven::sim::rate_limit_mode::fixed_window;
    } else if (flag == "--rate-limit-mode") {
      if (value == "fixed-window")
        opts.rate_limit.mode = aiven::sim::rate_limit_mode::fixed_window;
      else if (value == "leaky-bucket")
        opts.rate_limit.mode = aiven::sim::rate_limit_mode::leaky_bucket;
      else
        bad_usage("--rate-limit-mode: fixed-window or leaky-bucket");
    } else if (flag == "--rate-limit-burst") {
      opts.rate_limit.burst = static_cast<unsigned>(to_number(flag, value));
    } else if (flag == "--rate-limit-hint") {
      opts.rate_limit.fixed_hint_s = static_cast<unsigned>(to_number(flag, value));
    } else if (flag == "--consistency-ms") {
      opts.consistency_delay = std::chrono::milliseconds(to_number(flag, value));
    } else if (flag == "--port-file") {
      port_file = value;
    } else if (flag == "--write-ca") {
      ca_out = value;
    } else {
      bad_usage("unknown option " + std::string(flag));
    }
  }

  // Blocked before the server threads start, so that they inherit the mask
  // and the signals are taken only by sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    aiven::sim::simulator sim(opts);
    if (!seed_file.empty()) {
      std::ifstream in(seed_file, std::ios::binary);
      if (!in) {
        std::cerr << "aiven-sim: cannot read " << seed_file << "\n";
        return 1;
      }
      std::ostringstream text;
      text << in.rdbuf();
      sim.seed(text.str());
    }
    if (!ca_out.empty()) {
      std::ofstream out(ca_out, std::ios::binary | std::ios::trunc);
      out << sim.ca_pem();
      if (!out.flush()) {
        std::cerr << "aiven-sim: cannot write " << ca_out << "\n";
        return 1;
      }
    } else if (print_env) {
      ca_out = sim.write_ca_file();
    }
    // Written whole, then renamed: a script polling for the file never reads half of it.
    if (!port_file.empty()) {
      std::string tmp = port_file + ".tmp";
      std::ofstream out(tmp, std::ios::trunc);
      out << sim.port() << "\n";
      if (!out.flush() || std::rename(tmp.c_str(), port_file.c_str()) != 0) {
        std::cerr << "aiven-sim: cannot write " << port_file << "\n";
        return 1;
      }
    }
    std::ostream& log = print_env ? std::cerr : std::cout;
    if (print_env) {
      std::cout << "AIVEN_WEB_URL=" << sim.base_url() << "\n"
                << "AIVEN_AUTH_TOKEN=" << sim.token() << "\n"
                << "AIVEN_TOKEN=" << sim.token() << "\n"
                << "AIVEN_CA_CERT=" << ca_out << std::endl;
    }
    log << "aiven-sim listening on " << sim.base_url() << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    log << "aiven-sim: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
    sim.stop();
  } catch (const std::exception& e) {
    std::string_view what = e.what();
    std::cerr << (what.starts_with("aiven-sim:") ? "" : "aiven-sim: ") << what << "\n";
    return 1;
  }
  return 0;
}
