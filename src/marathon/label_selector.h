// The `label=` filter of GET /v2/apps (marathon-api.md §3.1): comma-separated terms that must
// all hold: `key` (exists), `key==value`, `key!=value`, `key in (v1, v2)`,
// `key notin (v1, v2)`. A backslash makes the next character literal (`a\,b`).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::marathon {

class LabelSelector {
 public:
  // An empty text selects everything. Errors: kInvalidArgument "Can not parse label selector
  // <text>. Reason: <why>" (Marathon's IllegalArgumentException, 422).
  static Result<LabelSelector> parse(std::string_view text);

  bool matches(const std::map<std::string, std::string>& labels) const;

 private:
  struct Term {
    enum class Kind { kExists, kEquals, kNotEquals, kIn, kNotIn };
    std::string key;
    Kind kind = Kind::kExists;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

}  // namespace berth::marathon
