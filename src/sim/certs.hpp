// Certificates for the simulator: a throw-away CA and a server certificate it
// signs, generated in memory at start-up.
#pragma once

#include <string>
#include <vector>

namespace aiven::sim::detail {

struct generated_certs {
  std::string ca_cert_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
};

/// EC P-256 keys, valid from one hour ago for one year. The server certificate
/// covers 127.0.0.1, ::1 and localhost plus `extra_names` (IP addresses or DNS
/// names). Throws std::runtime_error on an OpenSSL failure.
generated_certs generate_certs(const std::vector<std::string>& extra_names = {});

}  // namespace aiven::sim::detail
