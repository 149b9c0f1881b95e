// The volume state machine's names and edges (drawn in volume_lifecycle.h).
#include "storage/volume_lifecycle.h"

#include <array>
#include <utility>

namespace berth {
namespace {

constexpr std::array<std::pair<VolumeState, std::string_view>, 7> kNames{{
    {VolumeState::kCreating, "CREATING"},
    {VolumeState::kAvailable, "AVAILABLE"},
    {VolumeState::kAttaching, "ATTACHING"},
    {VolumeState::kAttached, "ATTACHED"},
    {VolumeState::kDetaching, "DETACHING"},
    {VolumeState::kFencing, "FENCING"},
    {VolumeState::kDeleting, "DELETING"},
}};

}  // namespace

std::string_view to_string(VolumeState state) {
  for (const auto& [value, name] : kNames) {
    if (value == state) return name;
  }
  return "UNKNOWN";
}

std::optional<VolumeState> parse_volume_state(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_transitional(VolumeState state) {
  return state != VolumeState::kAvailable && state != VolumeState::kAttached;
}

bool has_attachment(VolumeState state) {
  return state == VolumeState::kAttaching || state == VolumeState::kAttached ||
         state == VolumeState::kDetaching || state == VolumeState::kFencing;
}

bool is_allowed_transition(VolumeState from, VolumeState to) {
  using S = VolumeState;
  switch (from) {
    case S::kCreating:
      return to == S::kCreating || to == S::kAvailable;
    case S::kAvailable:
      // To itself: a resize.
      return to == S::kAvailable || to == S::kAttaching || to == S::kDeleting;
    case S::kAttaching:
      return to == S::kAttaching || to == S::kAttached || to == S::kDetaching || to == S::kFencing;
    case S::kAttached:
      return to == S::kAttached || to == S::kAttaching || to == S::kDetaching ||
             to == S::kFencing || to == S::kAvailable;
    case S::kDetaching:
      return to == S::kDetaching || to == S::kAvailable || to == S::kAttaching ||
             to == S::kAttached || to == S::kFencing;
    case S::kFencing:
      return to == S::kFencing || to == S::kAvailable || to == S::kAttaching ||
             to == S::kAttached || to == S::kDetaching;
    case S::kDeleting:
      return to == S::kDeleting;
  }
  return false;
}

}  // namespace berth
