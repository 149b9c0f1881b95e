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

// The persisted form.
std::string deployment_to_store(const Deployment& deployment);
Result<Deployment> deployment_from_store(std::string_view text);

}  // namespace berth::scheduler
