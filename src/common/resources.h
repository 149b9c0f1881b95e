// Resources and attributes in Mesos' formats: the text an operator passes to
// `--resources='cpus:4;mem:8192;disk:40960;ports:[31000-32000]'` and `--attributes='disk:ssd'`,
// and the JSON `/master/state` shows ({"cpus":4.0,...,"ports":"[31000-32000]"}).
// Resources add and subtract for the allocator's accounting; port ranges are interval sets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth {

// A set of integers stored as sorted, disjoint, non-adjacent closed intervals.
class Ranges {
 public:
  Ranges() = default;
  explicit Ranges(std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals);

  // "[31000-32000,33000-33005]" (spaces allowed); "[]" is empty.
  static Result<Ranges> parse(std::string_view text);
  std::string to_string() const;

  bool empty() const { return intervals_.empty(); }
  std::uint64_t size() const;  // number of integers
  bool contains(std::uint64_t value) const;
  bool contains(const Ranges& other) const;
  void add(const Ranges& other);
  void subtract(const Ranges& other);
  // The `count` smallest integers of the set (fewer if it has fewer).
  std::vector<std::uint64_t> take(std::size_t count) const;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& intervals() const {
    return intervals_;
  }
  bool operator==(const Ranges& other) const = default;

 private:
  void normalize();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals_;
};

class Resources {
 public:
  // Parses Mesos' text form. Scalars ("cpus:4", "mem:8192", any name) and ranges ("ports:[..]").
  // A role suffix "cpus(*):4" is accepted and ignored (Berth has one role).
  static Result<Resources> parse(std::string_view text);

  double scalar(const std::string& name) const;
  void set_scalar(const std::string& name, double value);
  const Ranges& ports() const { return ports_; }
  void set_ports(Ranges ports) { ports_ = std::move(ports); }
  const std::map<std::string, double>& scalars() const { return scalars_; }

  double cpus() const { return scalar("cpus"); }
  double mem() const { return scalar("mem"); }
  double disk() const { return scalar("disk"); }

  // True if every scalar and every port of `other` is available here.
  bool contains(const Resources& other) const;
  Resources& operator+=(const Resources& other);
  Resources& operator-=(const Resources& other);
  bool operator==(const Resources& other) const = default;

  std::string to_string() const;

 private:
  std::map<std::string, double> scalars_;
  Ranges ports_;
};

// One agent attribute. Mesos types values: SCALAR ("1.5"), RANGES ("[1-2]"), SET ("{a,b}")
// or TEXT. Constraints compare the text as written; /master/state shows scalars as numbers.
struct Attribute {
  enum class Type { kText, kScalar, kRanges, kSet };
  std::string name;
  Type type = Type::kText;
  std::string text;  // the value as given
  double scalar = 0;
  bool operator==(const Attribute& other) const = default;
};

// "disk:ssd;rack:r1" -> attributes in the given order. Names must be unique.
Result<std::vector<Attribute>> parse_attributes(std::string_view text);
std::string attributes_to_string(const std::vector<Attribute>& attributes);

}  // namespace berth
