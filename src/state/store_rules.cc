// The version and prefix rules shared by every StateStore backend.
#include "state/store_rules.h"

#include <cstdio>

namespace berth {
namespace {

std::string version_text(std::optional<std::uint64_t> version) {
  if (!version.has_value() || *version == 0) return "no key";
  return "version " + std::to_string(*version);
}

}  // namespace

Status validate_mutations(const std::vector<Mutation>& mutations) {
  for (std::size_t i = 0; i < mutations.size(); ++i) {
    if (mutations[i].key.empty()) {
      return invalid_argument("mutation " + std::to_string(i) + " of the batch has an empty key");
    }
  }
  return {};
}

Status check_expected_version(const Mutation& mutation, std::optional<std::uint64_t> current) {
  if (!mutation.expected_version.has_value()) return {};
  std::uint64_t expected = *mutation.expected_version;
  std::uint64_t actual = current.value_or(0);
  if (expected == actual) return {};
  return conflict("version conflict on key " + quoted_key(mutation.key) + ": expected " +
                  version_text(expected) + ", found " + version_text(current));
}

std::uint64_t next_version(std::optional<std::uint64_t> current) {
  return current.has_value() ? *current + 1 : 1;
}

std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string bound(prefix);
  // Keys starting with "a\xff" are all below "b": drop the trailing 0xFF bytes, which cannot be
  // incremented, then increment the last byte that can.
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

std::string quoted_key(std::string_view key) {
  constexpr std::size_t kMaxShown = 200;
  std::string out = "\"";
  for (std::size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    auto byte = static_cast<unsigned char>(key[i]);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += static_cast<char>(byte);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  out += '"';
  if (key.size() > kMaxShown) out += "... (" + std::to_string(key.size()) + " bytes)";
  return out;
}

}  // namespace berth
