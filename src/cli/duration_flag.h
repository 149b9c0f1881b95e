// Durations on the command line, as Mesos writes them: "500ms", "5secs", "2mins", "1hrs", or a
// bare number of seconds.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "common/time_format.h"  // format_duration, the inverse

namespace berth {

Result<Duration> parse_duration(const std::string& text);

}  // namespace berth
