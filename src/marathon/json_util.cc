// Typed JSON reading with play-json's error keys, violation collection and accord's number text.
#include "marathon/json_util.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/time_format.h"

namespace berth::marathon::detail {

std::string child_path(const std::string& parent, std::string_view key) {
  std::string path = parent;
  path += '/';
  path += key;
  return path;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "(" + std::to_string(index) + ")";
}

std::string key_path(const std::string& parent, std::string_view key) {
  std::string path = parent;
  path += "(\"";
  path += key;
  path += "\")";
  return path;
}

std::string shown_path(const std::string& path) { return path.empty() ? "/" : path; }

void Violations::add(const std::string& path, std::string message) {
  for (FieldError& field : fields_) {
    if (field.path != path) continue;
    for (const std::string& existing : field.errors) {
      if (existing == message) return;
    }
    field.errors.push_back(std::move(message));
    return;
  }
  fields_.push_back(FieldError{path, {std::move(message)}});
}

void Violations::merge(const std::vector<FieldError>& fields) {
  for (const FieldError& field : fields) {
    for (const std::string& message : field.errors) add(field.path, message);
  }
}

const Json* Reader::find(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> Reader::string(const Json& object, std::string_view key,
                                          const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return std::nullopt;
  return as_string(*value, child_path(path, key));
}

std::optional<bool> Reader::boolean(const Json& object, std::string_view key,
                                    const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    error(child_path(path, key), "error.expected.jsboolean");
    return std::nullopt;
  }
  return value->get<bool>();
}

namespace {

// The value as an integer in [min, max], or nullopt with the error key recorded.
std::optional<std::int64_t> read_integer(Reader& reader, const Json& value, const std::string& path,
                                         std::int64_t min, std::int64_t max,
                                         const char* range_error) {
  if (!value.is_number()) {
    reader.error(path, "error.expected.jsnumber");
    return std::nullopt;
  }
  if (value.is_number_unsigned()) {
    auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(max)) {
      reader.error(path, range_error);
      return std::nullopt;
    }
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) {
    auto number = value.get<std::int64_t>();
    if (number < min || number > max) {
      reader.error(path, range_error);
      return std::nullopt;
    }
    return number;
  }
  // A float counts when it is integral (BigDecimal 1.0 is a valid Int for play-json).
  double number = value.get<double>();
  // max + 1 is a power of two, exact as a double (max itself may round up to it).
  if (std::trunc(number) != number || number < static_cast<double>(min) ||
      number >= static_cast<double>(max) + 1.0) {
    reader.error(path, range_error);
    return std::nullopt;
  }
  return static_cast<std::int64_t>(number);
}

}  // namespace

std::optional<std::int64_t> Reader::int32(const Json& object, std::string_view key,
                                          const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return std::nullopt;
  return as_int32(*value, child_path(path, key));
}

std::optional<std::int64_t> Reader::int64(const Json& object, std::string_view key,
                                          const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return std::nullopt;
  return read_integer(*this, *value, child_path(path, key),
                      std::numeric_limits<std::int64_t>::min(),
                      std::numeric_limits<std::int64_t>::max(), "error.expected.long");
}

std::optional<double> Reader::number(const Json& object, std::string_view key,
                                     const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    error(child_path(path, key), "error.expected.jsnumber");
    return std::nullopt;
  }
  return value->get<double>();
}

const Json* Reader::object(const Json& object, std::string_view key, const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return nullptr;
  if (!expect_object(*value, child_path(path, key))) return nullptr;
  return value;
}

const Json* Reader::array(const Json& object, std::string_view key, const std::string& path) {
  const Json* value = find(object, key);
  if (value == nullptr) return nullptr;
  if (!expect_array(*value, child_path(path, key))) return nullptr;
  return value;
}

std::optional<std::vector<std::string>> Reader::strings(const Json& object, std::string_view key,
                                                        const std::string& path) {
  const Json* values = array(object, key, path);
  if (values == nullptr) return std::nullopt;
  std::vector<std::string> result;
  std::string base = child_path(path, key);
  for (std::size_t i = 0; i < values->size(); ++i) {
    if (auto text = as_string((*values)[i], index_path(base, i))) result.push_back(*text);
  }
  return result;
}

std::optional<std::map<std::string, std::string>> Reader::string_map(const Json& object,
                                                                     std::string_view key,
                                                                     const std::string& path) {
  const Json* values = this->object(object, key, path);
  if (values == nullptr) return std::nullopt;
  std::map<std::string, std::string> result;
  std::string base = child_path(path, key);
  for (const auto& [name, value] : values->items()) {
    if (auto text = as_string(value, child_path(base, name))) result[name] = *text;
  }
  return result;
}

std::optional<std::string> Reader::enumeration(const Json& object, std::string_view key,
                                               const std::string& path,
                                               const std::vector<std::string_view>& literals) {
  auto text = string(object, key, path);
  if (!text) return std::nullopt;
  for (std::string_view literal : literals) {
    if (*text == literal) return text;
  }
  error(child_path(path, key), "error.unknown.enum.literal");
  return std::nullopt;
}

std::optional<WallTime> Reader::timestamp(const Json& object, std::string_view key,
                                          const std::string& path) {
  auto text = string(object, key, path);
  if (!text) return std::nullopt;
  auto time = parse_timestamp(*text);
  if (!time.ok()) {
    error(child_path(path, key), "error.expected.date.isoformat");
    return std::nullopt;
  }
  return *time;
}

std::optional<std::string> Reader::as_string(const Json& value, const std::string& path) {
  if (!value.is_string()) {
    error(path, "error.expected.jsstring");
    return std::nullopt;
  }
  return value.get<std::string>();
}

std::optional<std::int64_t> Reader::as_int32(const Json& value, const std::string& path) {
  return read_integer(*this, value, path, std::numeric_limits<std::int32_t>::min(),
                      std::numeric_limits<std::int32_t>::max(), "error.expected.int");
}

bool Reader::expect_object(const Json& value, const std::string& path) {
  if (value.is_object()) return true;
  error(path, "error.expected.jsobject");
  return false;
}

bool Reader::expect_array(const Json& value, const std::string& path) {
  if (value.is_array()) return true;
  error(path, "error.expected.jsarray");
  return false;
}

std::string scala_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[64];
  double magnitude = std::fabs(value);
  if (value == 0 || (magnitude >= 1e-3 && magnitude < 1e7)) {
    auto [end, ec] = std::to_chars(text, text + sizeof(text), value, std::chars_format::fixed);
    std::string result(text, end);
    if (result.find('.') == std::string::npos) result += ".0";
    return result;
  }
  // Java's computerized scientific notation: 1.0E7, 1.5E-4.
  auto [end, ec] = std::to_chars(text, text + sizeof(text), value, std::chars_format::scientific);
  std::string result(text, end);
  std::size_t e = result.find('e');
  std::string mantissa = result.substr(0, e);
  std::string exponent = result.substr(e + 1);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  if (!exponent.empty() && exponent.front() == '+') exponent.erase(0, 1);
  bool negative = !exponent.empty() && exponent.front() == '-';
  if (negative) exponent.erase(0, 1);
  while (exponent.size() > 1 && exponent.front() == '0') exponent.erase(0, 1);
  return mantissa + "E" + (negative ? "-" : "") + exponent;
}

Result<Json> parse_body(std::string_view body) {
  try {
    return Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& error) {
    std::string text = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep the human part.
    if (!text.empty() && text.front() == '[') {
      std::size_t close = text.find("] ");
      if (close != std::string::npos) text.erase(0, close + 2);
    }
    return malformed("Invalid JSON", text);
  }
}

Error invalid_json(std::vector<FieldError> fields) {
  return Error{ErrorCode::kInvalidArgument, "Invalid JSON", std::move(fields)};
}

}  // namespace berth::marathon::detail
