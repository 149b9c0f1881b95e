// Deployment: one change of the declared root in flight, as the scheduler runs and persists it
// (under "marathon/deployments/<id>"), and as GET /v2/deployments shows it.
//
//   plan.steps[0] ... plan.steps[current_step] ... plan.steps[n-1]
//   \_________ begun ______________/          not begun: their apps keep their `original`
//
// A deployment ends when every action of its last step is done; it is then removed from the
// store, so a master that dies before that commit finds it again and sees it is done.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "marathon/app_definition.h"
#include "scheduler/deployment_plan.h"

namespace berth::scheduler {

struct Deployment {
  DeploymentPlan plan;
  std::size_t current_step = 0;  // 0-based; == plan.steps.size() when finished
  // The affected apps before (absent: new) and after (absent: removed) the change, for driving
  // apps whose step has not begun and for a revert.
  std::map<std::string, marathon::AppDefinition> original;
  std::map<std::string, marathon::AppDefinition> target;

  const std::string& id() const { return plan.id; }
  bool affects(const std::string& app_id) const;
  // The step (0-based) holding an action on `app_id`, or plan.steps.size() when none does.
  std::size_t step_of(const std::string& app_id) const;
};

// Marathon's Deployment object (marathon-api.md §12), as text.
std::string deployment_json(const Deployment& deployment);

// The plan as Marathon's deployment_info and deployment_step_* events carry it, as text:
// {id, original, target, steps, version}, `original` and `target` being root groups (GroupInfo
// with apps and subgroups) holding the affected apps before and after. Marathon puts its whole
// root there; only the apps the deployment touches are shown, so that an event stays small on
// a cluster of many apps (a stream's backlog is bounded in bytes).
std::string deployment_plan_json(const Deployment& deployment);
// Step `step` (0-based) of the plan: {"actions": [...]}; {"actions": []} past the last one.
std::string deployment_step_json(const Deployment& deployment, std::size_t step);

// The persisted form.
std::string deployment_to_store(const Deployment& deployment);
Result<Deployment> deployment_from_store(std::string_view text);

}  // namespace berth::scheduler
