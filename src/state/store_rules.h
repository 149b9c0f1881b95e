// The rules every StateStore backend applies in the same words, so that one contract test holds
// for all of them: which batches are valid, when an expected version conflicts, what version a
// put produces, and where a prefix scan ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "state/state_store.h"

namespace berth {

// Rejects a batch the caller got wrong (an empty key) before a backend touches anything.
Status validate_mutations(const std::vector<Mutation>& mutations);

// Checks `mutation.expected_version` against the key's current version (nullopt: the key does
// not exist). A conflict names the key and both versions.
Status check_expected_version(const Mutation& mutation, std::optional<std::uint64_t> current);

// The version a put gives a key now at `current`: 1 for a new key, one more otherwise.
std::uint64_t next_version(std::optional<std::uint64_t> current);

// The smallest key greater than every key that starts with `prefix`, or nullopt when there is no
// such bound (the prefix is empty or all 0xFF bytes): "a/" -> "a0", "a\xff" -> "b".
std::optional<std::string> prefix_successor(std::string_view prefix);

// `key` quoted for an error message, non-printable bytes as \xNN and long keys cut short, so a
// binary key cannot garble a log line.
std::string quoted_key(std::string_view key);

}  // namespace berth
