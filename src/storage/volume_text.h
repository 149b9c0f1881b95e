// Wording shared by the VolumeController's refusals, errors and events, so that the reason an
// operator reads in /v2/queue, in lastError and on the event stream is phrased one way.
// Internal to the storage library.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "storage/volume_record.h"

namespace berth {

struct VolumeControllerConfig;
struct VolumeLaunchClaim;

// The built-in driver whose volumes live on one node's disk.
inline constexpr char kLocalDriver[] = "local";

// "1.5s", "180s", "250ms".
std::string duration_text(Duration d);
// "task t1" or "tasks t1, t2".
std::string tasks_text(const std::set<std::string>& task_ids);
// "attached to agent a-1 (epoch 7)", "detaching from agent a-1 (epoch 7)", ...
std::string attachment_text(const VolumeRecord& volume);
// "unknown volume driver 'x'; known drivers: blockpool, local; aliases: rexray -> blockpool"
std::string unknown_driver_text(const std::string& asked, const VolumeControllerConfig& config);
// "/size: must be at least 16 MiB, got 1; /name: ..." for an error with fields.
std::string fields_text(const Error& error);
// Why a claim cannot use an existing volume as declared (driver, kind or access mode differ),
// or nullopt when it can.
std::optional<std::string> claim_mismatch(const VolumeRecord& volume,
                                          const VolumeLaunchClaim& claim,
                                          const std::string& resolved_driver);

}  // namespace berth
