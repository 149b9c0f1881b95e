// Parsing Mesos-style durations.
#include "cli/duration_flag.h"

#include <cmath>
#include <utility>

#include "common/strings.h"

namespace berth {

Result<Duration> parse_duration(const std::string& text) {
  // Longest suffixes first, so that "5mins" is not read as "5min" + "s".
  static const std::pair<const char*, double> kUnits[] = {
      {"days", 86400}, {"mins", 60}, {"secs", 1},  {"hrs", 3600}, {"day", 86400},
      {"min", 60},     {"sec", 1},   {"ns", 1e-9}, {"us", 1e-6},  {"ms", 1e-3},
      {"hr", 3600},    {"s", 1},     {"m", 60},    {"h", 3600},
  };

  std::string number = text;
  double scale = 1;
  for (const auto& [suffix, seconds] : kUnits) {
    std::string_view unit(suffix);
    if (text.size() > unit.size() &&
        text.compare(text.size() - unit.size(), unit.size(), unit) == 0) {
      number = text.substr(0, text.size() - unit.size());
      scale = seconds;
      break;
    }
  }
  auto value = parse_double(number);
  if (!value.ok() || *value < 0) {
    return invalid_argument("invalid duration '" + text + "': expected e.g. 500ms, 5secs, 1mins");
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*value * scale));
}

}  // namespace berth
