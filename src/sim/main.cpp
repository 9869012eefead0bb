// aiven-sim: runs the local Aiven API simulator until SIGINT or SIGTERM.
#include <aiven/sim/simulator.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
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
         "  --seed N                seed of the random faults (default 1)\n"
         "  --write-ca FILE         write the CA certificate (PEM) to FILE\n"
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
  std::string ca_out;
  bool tokens_given = false;

  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(std::cout);
      return 0;
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
    } else if (flag == "--seed") {
      opts.random_seed = to_number(flag, value);
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
    if (!ca_out.empty()) {
      std::ofstream out(ca_out, std::ios::binary | std::ios::trunc);
      out << sim.ca_pem();
      if (!out.flush()) {
        std::cerr << "aiven-sim: cannot write " << ca_out << "\n";
        return 1;
      }
    }
    std::cout << "aiven-sim listening on " << sim.base_url() << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "aiven-sim: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
    sim.stop();
  } catch (const std::exception& e) {
    std::string_view what = e.what();
    std::cerr << (what.starts_with("aiven-sim:") ? "" : "aiven-sim: ") << what << "\n";
    return 1;
  }
  return 0;
}
