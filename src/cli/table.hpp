// The operation table of the `aiven` command line tool. The table itself
// (generated/operations.cpp) is generated from the OpenAPI document, the same
// model as the typed API layer; engine.cpp interprets it, so the tool covers
// every operation without instantiating the typed functions.
#pragma once

#include <aiven/client.hpp>

#include <cstdint>
#include <span>

namespace aiven::cli {

enum class location : unsigned char { path, query, form };
enum class param_type : unsigned char { string, integer, number, boolean, enumeration, array, json };
/// json: a JSON body the document requires; json_optional: one it does not.
enum class body_kind : unsigned char { none, json, json_optional, multipart, raw };
/// json: a JSON document (unwrapped when `unwrap` is set); raw: bytes (PDF, CSV, ...); empty: no body.
enum class response_kind : unsigned char { json, raw, empty };

struct param_desc {
  const char* name;    // as in the document (path template, query string, form field)
  const char* option;  // the command line option without "--"
  location where;
  param_type type;
  param_type item_type;             // for arrays
  bool required;
  const char* const* enum_values;   // nullptr-terminated, or nullptr
  const char* description;
};

/// A top-level member of an operation's JSON request body, for `--help`.
struct body_member {
  const char* name;
  const char* type;  // "string", "integer", "array of string", "enum a|b", "object (ServiceUserConfig)", ...
  bool required;
  const char* description;
};

struct op_desc {
  const char* area;
  const char* name;
  const char* operation_id;
  http_method method;
  const char* path;  // template with {name} placeholders, base path included
  const param_desc* params;
  unsigned param_count;
  body_kind body;
  const char* body_media;  // media type of a non-JSON body
  const char* file_field;  // multipart part taken from --file
  response_kind response;
  const char* unwrap;      // "" or the single member the library's typed result unwraps
  const char* accept;
  const char* summary;
  bool deprecated;
  bool idempotent;
  std::uint32_t secret_segments = 0;  // path segments carrying a credential (raw_request::secret_segments)
  const body_member* body_members = nullptr;  // the JSON body's members (none: not an object body)
  unsigned body_member_count = 0;

  std::span<const param_desc> parameters() const noexcept { return {params, param_count}; }
  std::span<const body_member> members() const noexcept { return {body_members, body_member_count}; }
};

struct area_desc {
  const char* name;
  const char* tag;
  unsigned first;  // index of its first operation in operations()
  unsigned count;
};

/// Every operation, grouped by area (in areas() order) and sorted by name within an area.
std::span<const op_desc> operations() noexcept;
std::span<const area_desc> areas() noexcept;
/// First 12 hex digits of the document's sha256.
const char* document_sha() noexcept;

}  // namespace aiven::cli
