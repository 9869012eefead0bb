// See decode_service.cpp.
#define AIVEN_CODEC_TREE_REFERENCE 1
#include "api/project.cpp"

bool bench_sax_project(std::string_view body) {
  aiven::api::project_list_out out;
  return !aiven::codec::sax::decode_body(body, out, {}, nullptr) && !out.projects.empty();
}

bool bench_tree_project(const boost::json::value& v) {
  aiven::api::project_list_out out;
  return !aiven::codec::body_decoder{}(v, out, nullptr) && !out.projects.empty();
}
