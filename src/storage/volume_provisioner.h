// VolumeProvisioner: the controller side of a volume driver, for backends where a volume must be
// made or destroyed by a call before any node can use it (a CSI controller's CreateVolume and
// DeleteVolume, a cloud API). The built-in drivers need none: blockpool makes its image on a
// node at first use and local its directory, so the VolumeController goes straight from
// CREATING to AVAILABLE for a driver without a provisioner.
//
// Owned by whoever builds the master (registered with VolumeController::add_provisioner in
// main, never by static registration); called on the controller's event loop. Calls must be
// idempotent, keyed by the volume's name: the controller repeats them after a timeout or a
// master restart (CSI's rule for CreateVolume names).
#pragma once

#include <functional>

#include "api/volume_protocol.h"
#include "common/result.h"

namespace berth {

class VolumeProvisioner {
 public:
  virtual ~VolumeProvisioner() = default;

  // `done` is called exactly once, on the controller's loop: either before create()/remove()
  // return (nothing to wait for) or later. A `done` after the controller's deadline is ignored;
  // the controller retries.
  using Done = std::function<void(Status)>;

  // Makes the volume exist in the backend. Creating an existing, compatible volume succeeds.
  virtual void create(const VolumeSpec& spec, Done done) = 0;
  // Destroys it and its data. Removing a missing volume succeeds.
  virtual void remove(const VolumeSpec& spec, Done done) = 0;
};

}  // namespace berth
