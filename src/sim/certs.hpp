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

/// Variants for testing clients: a server certificate that expired a day ago,
/// and/or one that names only `only_names` (replacing the loopback names).
struct cert_profile {
  bool expired = false;
  std::vector<std::string> only_names;
};
generated_certs generate_certs(const cert_profile& profile);

}  // namespace aiven::sim::detail
