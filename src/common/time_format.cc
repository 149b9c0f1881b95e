// Formatting and parsing of Marathon's timestamp format.
#include "common/time_format.h"

#include <cstdio>
#include <ctime>

namespace berth {

std::string format_timestamp(WallTime time) {
  long long millis = to_epoch_millis(time);
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  int fraction = static_cast<int>(millis % 1000);
  if (fraction < 0) {
    fraction += 1000;
    seconds -= 1;
  }
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[80];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                fraction);
  return text;
}

Result<WallTime> parse_timestamp(std::string_view text) {
  std::tm parts{};
  int millis = 0;
  int consumed = 0;
  std::string copy(text);
  int fields = std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon,
                           &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed);
  if (fields != 6) return invalid_argument("invalid timestamp '" + copy + "'");
  std::string_view rest = std::string_view(copy).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    std::size_t digits = 1;
    int value = 0;
    int scale = 100;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      value += (rest[digits] - '0') * scale;
      scale /= 10;
      ++digits;
    }
    if (digits == 1) return invalid_argument("invalid timestamp '" + copy + "'");
    millis = value;
    rest.remove_prefix(digits);
  }
  if (rest != "Z") return invalid_argument("invalid timestamp '" + copy + "': expected UTC 'Z'");
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  std::time_t seconds = timegm(&parts);
  return from_epoch_millis(static_cast<long long>(seconds) * 1000 + millis);
}

double to_epoch_seconds(WallTime time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

long long to_epoch_millis(WallTime time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

WallTime from_epoch_millis(long long millis) {
  return WallTime(
      std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(millis)));
}

std::string format_duration(Duration duration) {
  using std::chrono::nanoseconds;
  static const std::pair<const char*, nanoseconds> kUnits[] = {
      {"days", std::chrono::hours(24)},     {"hrs", std::chrono::hours(1)},
      {"mins", std::chrono::minutes(1)},    {"secs", std::chrono::seconds(1)},
      {"ms", std::chrono::milliseconds(1)}, {"us", std::chrono::microseconds(1)},
  };
  const auto ns = std::chrono::duration_cast<nanoseconds>(duration);
  if (ns.count() == 0) return "0secs";
  for (const auto& [suffix, unit] : kUnits) {
    if (ns.count() % unit.count() == 0) {
      return std::to_string(ns.count() / unit.count()) + suffix;
    }
  }
  return std::to_string(ns.count()) + "ns";
}

}  // namespace berth
