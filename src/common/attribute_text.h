// The canonical text of an agent attribute's value, one form per Mesos attribute type, so that
// values written differently ("[1-2, 3-5]" and "[1-5]", "{b,a}" and "{a,b}", "2.50" and "2.5")
// compare equal: what placement constraints compare and what the master indexes agents by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/resources.h"

namespace berth {

// Scalars compare at Mesos' precision of 0.001.
std::int64_t scalar_thousandths(double value);

// Text as given, scalars with at most three decimals ("3.5", "2"), ranges "[1-5,8-9]", sets
// "{a,b}" (sorted).
std::string attribute_value_text(const Attribute& attribute);

// The range and set forms on their own, for values written by hand (a constraint's value).
// Text that does not parse is returned as it is.
std::string canonical_ranges_text(std::string_view text);
std::string canonical_set_text(std::string_view text);

}  // namespace berth
