// VolumeRecord: a volume as a cluster object owned by the master: what it is (name, driver, size,
// filesystem, options, kind, access mode), where it is (its lifecycle state and its attachment
// to an agent with an epoch), who holds it (the tasks that claim it and the app they belong
// to), what happened to it (bounded attachment history) and what last went wrong. The
// VolumeController keeps one per volume and persists it under `volumes/<name>`.
//
// Also here: the validation of names, sizes and options, shared by the controller, the
// `/v2/volumes` API and Marathon's external volumes, and the JSON of the record for the store
// (snake_case, versioned by the StateStore) and for the API (camelCase, Marathon style).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "storage/volume_lifecycle.h"

namespace berth {

// Where the data lives. External volumes sit in a backend every node reaches and go to any
// node, one at a time; local persistent volumes sit on one agent's disk and pin their tasks.
enum class VolumeKind { kExternal, kLocal };
// Who may use the volume at once. kSingleWriter: one task (a database). kShared (Marathon's
// `external.shared: true`): any number of tasks, but on one node at a time, because the built-in
// drivers are block devices that one kernel may mount.
enum class VolumeAccess { kSingleWriter, kShared };

std::string_view to_string(VolumeKind kind);      // "external" | "local"
std::string_view to_string(VolumeAccess access);  // "singleWriter" | "shared"
std::optional<VolumeKind> parse_volume_kind(std::string_view text);
std::optional<VolumeAccess> parse_volume_access(std::string_view text);

// Limits, also quoted in the validation messages.
inline constexpr std::size_t kMaxVolumeNameLength = 128;
inline constexpr std::int64_t kMinVolumeSizeMiB = 16;                  // smallest ext4 worth having
inline constexpr std::int64_t kMinXfsVolumeSizeMiB = 300;              // mkfs.xfs refuses less
inline constexpr std::int64_t kMaxVolumeSizeMiB = 64LL * 1024 * 1024;  // 64 TiB
inline constexpr std::size_t kMaxVolumeOptionsBytes = 4096;            // CSI's map limit

// The node and epoch a volume is attached with. `since` is when the epoch was granted.
struct VolumeAttachment {
  std::string agent_id;
  std::uint64_t epoch = 0;
  WallTime since;

  bool operator==(const VolumeAttachment&) const = default;
};

// One finished attachment, newest last in the record's history.
struct VolumeHistoryEntry {
  std::string agent_id;
  std::uint64_t epoch = 0;
  WallTime attached_at;
  WallTime detached_at;
  // How it ended: "detached" (the agent confirmed the unmount), "fenced" (its lease expired
  // while it was unreachable).
  std::string ended_by;

  bool operator==(const VolumeHistoryEntry&) const = default;
};

struct VolumeError {
  std::string message;  // with context: "attach pgdata on agent a-2: not mounted within 180s"
  WallTime at;

  bool operator==(const VolumeError&) const = default;
};

struct VolumeRecord {
  std::string name;
  std::string driver;
  std::int64_t size_mib = 0;
  std::string fs_type = "ext4";
  std::map<std::string, std::string> options;
  VolumeKind kind = VolumeKind::kExternal;
  // kLocal: the agent whose disk holds it, chosen by its first claim; empty until then.
  std::string pinned_agent;
  VolumeAccess access = VolumeAccess::kSingleWriter;

  VolumeState state = VolumeState::kCreating;
  std::optional<VolumeAttachment> attachment;  // set exactly when has_attachment(state)
  std::set<std::string> claims;                // tasks that hold it now
  std::string app_id;                          // the app that created or last claimed it
  std::deque<VolumeHistoryEntry> history;      // bounded by the controller's history_limit
  std::optional<VolumeError> last_error;

  WallTime created_at;
  WallTime updated_at;
  // When the state's deadline passes (attach/detach/provisioning), or FENCING's fence time.
  // Shown to operators; the controller re-arms its timers from the monotonic clock.
  std::optional<WallTime> deadline;

  bool operator==(const VolumeRecord&) const = default;
};

// What the API or an app asks to create.
struct VolumeCreateRequest {
  std::string name;
  std::string driver;         // empty: the controller's default driver
  std::int64_t size_mib = 0;  // 0: the controller's default size
  std::string fs_type;        // empty: the controller's default
  std::map<std::string, std::string> options;
  VolumeKind kind = VolumeKind::kExternal;
  VolumeAccess access = VolumeAccess::kSingleWriter;
  std::string app_id;
};

// Validation. Each returns invalid_fields() with the JSON path given as `path` (e.g. "/name",
// "/container/volumes(0)/external/name"), or ok.
Status check_volume_name(std::string_view name, const std::string& path = "/name");
Status validate_volume_size(std::int64_t size_mib, std::string_view fs_type,
                            const std::string& path = "/size");
Status validate_fs_type(std::string_view fs_type, const std::string& path = "/fsType");
Status validate_volume_options(const std::map<std::string, std::string>& options,
                               const std::string& path = "/options");

// The record as the StateStore keeps it.
std::string volume_to_store_json(const VolumeRecord& volume);
Result<VolumeRecord> volume_from_store_json(std::string_view json);

// The record as `/v2/volumes` shows it (one object; the list wraps them in {"volumes": [...]}).
std::string volume_to_api_json(const VolumeRecord& volume);
// A `POST /v2/volumes` body: {"name", "driver"?, "size"? (MiB), "fsType"?, "options"?,
// "kind"? ("external"|"local"), "accessMode"? ("singleWriter"|"shared")}. Malformed JSON is
// kMalformed; wrong types and bad values are invalid_fields() with their paths.
Result<VolumeCreateRequest> parse_volume_create_request(std::string_view json);

}  // namespace berth
