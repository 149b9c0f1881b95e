// The per-task supervisor: `berth __supervise <runtime dir>`, started by LinuxContainerizer as
// pid 1 of the task's new pid and mount namespaces. It gives the task a private mount tree and
// its own /proc, runs the command from spec.json in the sandbox, forwards SIGTERM and friends to
// the command's process group, reaps every orphan of the namespace, and records how the command
// ended in exit_status before it exits (which makes the kernel kill whatever is left in the
// namespace). It outlives an agent restart: the next agent re-adopts it through its pid file.
//
// A task with external volumes (spec.json's lease_volumes) must not outlive its node's lease on
// them, agent or no agent: its supervisor reads the lease file the agent's containerizer keeps
// (lease_watch.h) every 250 ms, and once the deadline has passed SIGKILLs everything in the
// namespace, syncs the volumes' filesystems, shuts them down so that this node never writes
// them again (filesystem_fence.h), and records a lease_expired exit naming them.
// Supervisors of other tasks never wake up for it.
#pragma once

#include <signal.h>

namespace berth {

// The signals the supervisor passes on to the command's process group. The containerizer keeps
// them blocked from clone() to the supervisor's first instruction: a namespace's pid 1 drops
// signals it has no handler for, but blocked ones wait, across execve, until it takes them.
inline constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The entry point, dispatched by `berth` before anything else is initialised. Returns 0 once
// exit_status is recorded, non-zero if even that failed.
int supervise_main(int argc, char** argv);

}  // namespace berth
