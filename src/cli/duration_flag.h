// Durations on the command line, as Mesos writes them: "500ms", "5secs", "2mins", "1hrs", or a
// bare number of seconds.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace berth {

Result<Duration> parse_duration(const std::string& text);
// The inverse, in the largest unit that is exact ("1secs", "500ms"): how help shows a default.
std::string format_duration(Duration duration);

}  // namespace berth
