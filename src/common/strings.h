// Small string helpers used across modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

std::string_view trim(std::string_view text);
// Splits on `separator`; keeps empty pieces ("a;;b" -> "a", "", "b").
std::vector<std::string_view> split(std::string_view text, char separator);
bool starts_with(std::string_view text, std::string_view prefix);
// A whole-string decimal number ("4", "0.5", "1e3"); no trailing junk.
Result<double> parse_double(std::string_view text);
// Shortest text for a number: 4 -> "4", 0.5 -> "0.5".
std::string format_number(double value);

}  // namespace berth
