// `berth completion bash`: a bash completion script for the whole command tree, generated from
// the parser itself so that it cannot fall behind the commands. Install with
// `berth completion bash > /etc/bash_completion.d/berth` or `source <(berth completion bash)`.
#pragma once

#include <ostream>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace berth {

// Adds `completion <shell>` to `berth`; `shell` receives the shell's name.
CLI::App* add_completion_command(CLI::App& berth, std::string& shell);

// The script for `berth` (the root of the tree): verbs after each noun, flags after '-', and
// files where a command takes no further verb.
void print_bash_completion(const CLI::App& berth, std::ostream& out);

}  // namespace berth
