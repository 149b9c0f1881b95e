// Marathon's ids for apps and groups (marathon-api.md §1.2): hierarchical paths such as
// "/prod/db/mongo", their segment rules, and how relative ids ("mongo", "../db") and sloppy
// slashes ("//mongo-1/") become canonical absolute ids.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::marathon {

// What every segment must fully match (Marathon's PathId.ID_PATH_SEGMENT_PATTERN).
inline constexpr std::string_view kIdSegmentPattern =
    "^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|"
    "(\\.|\\.\\.)$";

// Exact messages of the id rules.
std::string id_segment_message();  // "must fully match regular expression '<pattern>'"
inline constexpr std::string_view kReservedIdMessage =
    "must not end with any of the following reserved keywords: restart, tasks, versions, ., ..";
inline constexpr std::string_view kEmptyIdMessage = "Path must contain at least one path element";
inline constexpr std::string_view kRootIdMessage = "must not be root";
inline constexpr std::string_view kRelativeIdMessage = "Path needs to be absolute";
// "Identifier is not child of '/prod'".
std::string not_child_message(std::string_view parent);

// The non-empty segments of `id` ("//a/b/" -> "a", "b").
std::vector<std::string> id_segments(std::string_view id);
// Slash normalisation only: "//mongo-1/" -> "/mongo-1", "a/b" -> "/a/b", "" -> "/".
std::string normalize_id(std::string_view id);
// Whether `segment` fully matches kIdSegmentPattern (which admits "." and "..").
bool is_valid_id_segment(std::string_view segment);
// Every violated id rule of `id` as written (segment pattern, reserved last segment); empty
// when valid. Relative ids are fine here; resolve them with canonical_id.
std::vector<std::string> id_violations(std::string_view id);

// The absolute id that `id` names when written inside `base` (an absolute id): absolute ids
// are taken as they are, relative ones appended to `base`; "." and ".." are resolved, ".."
// never climbs above the root. canonical_id("mongo", "/") == "/mongo",
// canonical_id("../db", "/prod/web") == "/prod/db".
std::string canonical_id(std::string_view id, std::string_view base = "/");
// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "/".
std::string parent_id(std::string_view id);
// The last segment ("/a/b" -> "b"; "/" -> "").
std::string id_name(std::string_view id);
bool is_root_id(std::string_view id);
// Whether `id` lies strictly below `parent`, at any depth (both canonical).
bool is_child_of(std::string_view id, std::string_view parent);

}  // namespace berth::marathon
