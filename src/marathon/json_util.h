// Internal to berth_marathon: typed reading of request JSON with play-json's error keys, the
// collector of Marathon's validation violations, and accord's number rendering. Not for use
// outside src/marathon (it exposes nlohmann::json).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace berth::marathon::detail {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// JSON paths as Marathon renders them: "/container/volumes(0)/mode"; the root object is "".
std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);
// A map entry: /container/volumes(0)/external/options("dvdi/iops").
std::string key_path(const std::string& parent, std::string_view key);
// "" (the object itself) is shown as "/".
std::string shown_path(const std::string& path);

// Violations grouped by path, in the order first seen; each message once per path.
class Violations {
 public:
  void add(const std::string& path, std::string message);
  void merge(const std::vector<FieldError>& fields);
  bool empty() const { return fields_.empty(); }
  const std::vector<FieldError>& fields() const { return fields_; }
  std::vector<FieldError> take() { return std::move(fields_); }

 private:
  std::vector<FieldError> fields_;
};

// Reads typed values out of a parsed body. A missing key or null is "absent" (play-json's
// readNullable); a value of the wrong type records play-json's key (error.expected.jsstring,
// ...) at its path in `errors` and reads as absent.
class Reader {
 public:
  explicit Reader(Violations& errors) : errors_(errors) {}

  // Calls `read(element, its path)` for each element of the array `values` that is an object;
  // the others are reported as type errors at their path.
  template <typename Read>
  void for_each_object(const Json& values, const std::string& path, Read&& read) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::string at = index_path(path, i);
      if (expect_object(values[i], at)) read(values[i], at);
    }
  }

  // The value at `key`, or null when absent or JSON null.
  static const Json* find(const Json& object, std::string_view key);

  std::optional<std::string> string(const Json& object, std::string_view key,
                                    const std::string& path);
  std::optional<bool> boolean(const Json& object, std::string_view key, const std::string& path);
  std::optional<std::int64_t> int32(const Json& object, std::string_view key,
                                    const std::string& path);
  std::optional<std::int64_t> int64(const Json& object, std::string_view key,
                                    const std::string& path);
  std::optional<double> number(const Json& object, std::string_view key, const std::string& path);
  const Json* object(const Json& object, std::string_view key, const std::string& path);
  const Json* array(const Json& object, std::string_view key, const std::string& path);
  std::optional<std::vector<std::string>> strings(const Json& object, std::string_view key,
                                                  const std::string& path);
  // {"k": "v", ...} with string values; entries are at child paths ("/labels/k").
  std::optional<std::map<std::string, std::string>> string_map(const Json& object,
                                                               std::string_view key,
                                                               const std::string& path);
  // A string that must be one of `literals`; any other string records error.unknown.enum.literal.
  std::optional<std::string> enumeration(const Json& object, std::string_view key,
                                         const std::string& path,
                                         const std::vector<std::string_view>& literals);
  std::optional<WallTime> timestamp(const Json& object, std::string_view key,
                                    const std::string& path);

  // Values that are not object members (array elements).
  std::optional<std::string> as_string(const Json& value, const std::string& path);
  std::optional<std::int64_t> as_int32(const Json& value, const std::string& path);
  bool expect_object(const Json& value, const std::string& path);
  bool expect_array(const Json& value, const std::string& path);

  void missing(const std::string& path) { error(path, "error.path.missing"); }
  void error(const std::string& path, std::string key) { errors_.add(shown_path(path), key); }

 private:
  Violations& errors_;
};

// Numbers as accord prints them in messages (Scala's toString): 1.0, 0.5, 0.001, 1.0E7.
std::string scala_double(double value);

// Parses a request body; malformed JSON is Marathon's 400 {"message":"Invalid JSON",
// "details":"<parser message>"}.
Result<Json> parse_body(std::string_view body);

// The 422 for type errors: {"message":"Invalid JSON","details":[...]}.
Error invalid_json(std::vector<FieldError> fields);

}  // namespace berth::marathon::detail
