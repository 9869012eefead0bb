// Fuzz target: typed decoding of the largest response schemas (ServiceGet,
// ServiceList, ServiceUpdate, ...) from arbitrary JSON. Decoding must end in
// a result or errc::bad_response with a message, never a crash or a hang.
//
// The generated decoders are internal to their TU: this shim compiles that TU
// itself (the fuzz build leaves it out of the library).
#include "api/service.cpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class T, class Decoder>
void decode_as(const boost::json::value& v, const Decoder& d) {
  T out{};
  aiven::diagnostics diag;
  auto ec = d(v, out, &diag);
  // A failure is always typed and explained.
  if (ec && (ec != aiven::errc::bad_response || diag.client_message.empty())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::json::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  using namespace aiven::api;
  using aiven::codec::body_decoder;
  using aiven::codec::member_decoder;
  decode_as<service_get_out>(v, member_decoder{"service"});
  decode_as<std::vector<service_out>>(v, member_decoder{"services"});
  decode_as<service_update_out>(v, member_decoder{"service"});
  decode_as<service_create_out>(v, member_decoder{"service"});
  decode_as<service_backups_get_out>(v, body_decoder{});
  decode_as<service_database_list_out>(v, body_decoder{});
  decode_as<list_public_service_types_out>(v, member_decoder{"service_types"});
  decode_as<std::map<std::string, std::string>>(v, member_decoder{"tags"});
  // The same documents one level down: the wrapper is optional to a fuzzer.
  decode_as<service_get_out>(v, body_decoder{});
  return 0;
}
