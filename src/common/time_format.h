// Timestamps as Marathon prints them: "2015-09-25T15:13:48.343Z", UTC, always three fraction
// digits; parsed with or without the fraction. Durations as Mesos prints its flags.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace berth {

std::string format_timestamp(WallTime time);
Result<WallTime> parse_timestamp(std::string_view text);
// Seconds since the epoch as a floating point number (Mesos' registered_time).
double to_epoch_seconds(WallTime time);
long long to_epoch_millis(WallTime time);
WallTime from_epoch_millis(long long millis);
// A duration in the largest of Mesos' units that holds it exactly: "200ms", "5secs", "2mins"
// (what `--heartbeat_interval` and the other duration flags parse back).
std::string format_duration(Duration duration);

}  // namespace berth
