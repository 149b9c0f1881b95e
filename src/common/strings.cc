// String helpers: trimming, splitting, strict number parsing.
#include "common/strings.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace berth {

std::string_view trim(std::string_view text) {
  const char* spaces = " \t\r\n";
  auto begin = text.find_first_not_of(spaces);
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(spaces);
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(separator, start);
    if (pos == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Result<double> parse_double(std::string_view text) {
  text = trim(text);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    // Appended piece by piece: GCC 12 at -O3 misreads "'" + std::string(...) as an
    // overlapping memcpy (-Werror=restrict).
    std::string message = "'";
    message.append(text);
    message.append("' is not a number");
    return invalid_argument(std::move(message));
  }
  return value;
}

std::string format_number(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

}  // namespace berth
