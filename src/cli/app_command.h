// `berth app add|ls|show|scale|suspend|restart|update|rm`: Marathon apps through /v2/apps on the
// master's API. Every verb that changes an app starts a deployment and says which; `--wait`
// follows it to its end (as `berth deployment watch` does).
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "cli/client_options.h"

namespace berth {

struct AppCommand {
  enum class Verb { kAdd, kList, kShow, kScale, kSuspend, kRestart, kUpdate, kRemove };
  Verb verb = Verb::kList;
  ClientOptions client;
  std::string id;      // every verb but add and ls
  std::string file;    // add, update: a JSON file, or "-" for stdin
  int instances = 0;   // scale
  bool force = false;  // override a deployment in the way (Marathon's ?force=true)
  bool wait = false;   // watch the deployment until it ends
};

CLI::App* add_app_command(CLI::App& berth, AppCommand& command);
int run_app_command(const AppCommand& command, std::istream& in, std::ostream& out,
                    std::ostream& err);

// The JSON document of `file` ("-": `in`), or kInvalidArgument naming the file and the parse
// error: a broken file is bad usage, refused before any request.
Result<std::string> read_json_document(const std::string& file, std::istream& in);

}  // namespace berth
