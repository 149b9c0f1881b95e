// The task verbs: listing and killing through the v2 API, logs from the task's sandbox (the
// master forwards the reads to its agent).
#include "cli/task_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>

#include "cli/table.h"
#include "http/http_types.h"

namespace berth {
namespace {

using nlohmann::json;

constexpr const char* kVerbNames[] = {"ls", "kill", "logs"};

std::string health_text(const json& task) {
  const json results = task.value("healthCheckResults", json::array());
  if (!results.is_array() || results.empty()) return "-";
  for (const auto& result : results) {
    if (!result.is_object() || !result.value("alive", false)) return "unhealthy";
  }
  return "healthy";
}

std::string ports_text(const json& task) {
  std::string text;
  for (const auto& port : task.value("ports", json::array())) {
    text += (text.empty() ? "" : ",") + port.dump();
  }
  return text;
}

bool is_terminal(const std::string& state) {
  return state == "TASK_FINISHED" || state == "TASK_FAILED" || state == "TASK_KILLED" ||
         state == "TASK_ERROR" || state == "TASK_LOST" || state == "TASK_GONE" ||
         state == "TASK_DROPPED" || state == "TASK_GONE_BY_OPERATOR";
}

// One file of a sandbox, read in chunks through the master's /files/read, which forwards to the
// task's agent: the client needs to reach the master only.
class SandboxFile {
 public:
  SandboxFile(const ApiClient& master, const std::string& task_id, std::string name)
      : master_(master), name_(std::move(name)), path_(percent_encode(task_id + "/" + name_)) {}

  const std::string& name() const { return name_; }

  // The file's size; nullopt (printed) when the agent could not say; -1 when it has no such file
  // (yet: a task that has not started).
  std::optional<std::int64_t> size() const {
    auto answer = master_.call("GET", "/files/read?path=" + path_ + "&offset=-1");
    if (!answer) return std::nullopt;
    if (answer->status == 404) return -1;
    if (answer->status != 200) {
      print_refusal(master_.err(), master_.command(), *answer);
      return std::nullopt;
    }
    return static_cast<std::int64_t>(number_field(answer->body, "offset"));
  }

  struct Read {
    std::string text;
    std::int64_t end = 0;  // the offset after the last byte read
  };

  // The bytes from `offset` to the end of the file as it is now.
  std::optional<Read> read_from(std::int64_t offset) const {
    Read read{"", offset};
    while (true) {
      auto answer = master_.expect(
          "GET", "/files/read?path=" + path_ + "&offset=" + std::to_string(read.end), {200});
      if (!answer) return std::nullopt;
      const std::string chunk = text_field(answer->body, "data");
      if (chunk.empty()) return read;
      read.text += chunk;
      // Bytes that are not UTF-8 arrive replaced, so the text's size may not be the bytes'
      // count: Berth's agent says how many it read.
      read.end += static_cast<std::int64_t>(
          number_field(answer->body, "length", static_cast<double>(chunk.size())));
    }
  }

 private:
  const ApiClient& master_;
  std::string name_;
  std::string path_;
};

// The task's state at the master, "" when it cannot be read (printed).
std::string task_state(const ApiClient& master, const std::string& task_id) {
  auto task = master.expect("GET", "/master/tasks/" + percent_encode(task_id), {200});
  return task ? text_field(task->body, "state") : "";
}

int task_logs(const TaskCommand& command, const ApiClient& master, std::ostream& out) {
  std::string state = task_state(master, command.task_id);
  if (state.empty()) return kExitApiError;
  std::vector<SandboxFile> files;
  if (!command.only_stderr) files.emplace_back(master, command.task_id, "stdout");
  if (!command.only_stdout) files.emplace_back(master, command.task_id, "stderr");
  const bool headers = files.size() > 1;
  std::vector<std::int64_t> offsets(files.size(), 0);  // how far each file has been shown
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto size = files[i].size();
    if (!size) return kExitApiError;
    if (headers) out << (i == 0 ? "" : "\n") << "==> " << files[i].name() << " <==\n";
    if (*size < 0) continue;
    // Enough bytes for the lines asked, most of the time; the whole file for --lines=0.
    const std::int64_t window =
        command.lines == 0 ? *size : std::max<std::int64_t>(65536, command.lines * 512);
    const std::int64_t start = std::max<std::int64_t>(0, *size - window);
    auto read = files[i].read_from(start);
    if (!read) return kExitApiError;
    offsets[i] = read->end;
    std::string& text = read->text;
    // A read that starts mid-file starts mid-line: that first piece of a line is not shown.
    if (start > 0) text.erase(0, std::min(text.size(), text.find('\n') + 1));
    out << last_lines(text, command.lines);
  }
  out.flush();
  // --follow: what the files gain, until the task has ended and its last words are shown.
  std::size_t shown = files.size() - 1;  // the file whose header was printed last
  bool ended = is_terminal(state);
  while (command.follow && !ended) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    state = task_state(master, command.task_id);
    if (state.empty()) return kExitApiError;
    ended = is_terminal(state);
    for (std::size_t i = 0; i < files.size(); ++i) {
      auto read = files[i].read_from(offsets[i]);
      if (!read) return kExitApiError;
      if (read->text.empty()) continue;
      if (headers && shown != i) out << "\n==> " << files[i].name() << " <==\n";
      shown = i;
      offsets[i] = read->end;
      out << read->text << std::flush;
    }
  }
  return kExitOk;
}

}  // namespace

std::string last_lines(const std::string& text, int lines) {
  if (lines <= 0 || text.empty()) return text;
  std::size_t at = text.size();
  if (text.back() == '\n') --at;  // the final newline ends the last line
  for (int seen = 0; at > 0; --at) {
    if (text[at - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(at);
}

void print_tasks(std::ostream& out, const json& tasks) {
  Table table({"ID", "APP", "HOST", "STATE", "HEALTH", "PORTS", "STARTED"});
  for (const auto& task : tasks) {
    if (!task.is_object()) continue;
    table.add({text_field(task, "id"), text_field(task, "appId"), text_field(task, "host"),
               text_field(task, "state"), health_text(task), ports_text(task),
               text_field(task, "startedAt")});
  }
  table.print(out);
}

CLI::App* add_task_command(CLI::App& berth, TaskCommand& command) {
  CLI::App* noun =
      berth.add_subcommand("task", "list and kill the tasks of apps, and read their logs");
  noun->require_subcommand(1);
  add_client_options(noun, command.client);
  using Verb = TaskCommand::Verb;
  CLI::App* ls = noun->add_subcommand("ls", "a table of the running tasks");
  ls->add_option("--app", command.app, "only the tasks of this app");
  ls->callback([&command] { command.verb = Verb::kList; });

  CLI::App* kill = noun->add_subcommand("kill", "kill a task; its app replaces it unless --scale");
  kill->add_option("task-id", command.task_id, "the task's id")->required();
  auto* scale = kill->add_flag("--scale", command.scale,
                               "lower the app's instances by one instead of replacing the task");
  kill->add_flag("--wipe", command.wipe,
                 "also destroy the task's reservations and local persistent volumes")
      ->excludes(scale);
  kill->add_flag("--force", command.force, "with --scale: override a deployment in the way");
  kill->callback([&command] { command.verb = Verb::kKill; });

  CLI::App* logs = noun->add_subcommand(
      "logs", "the tail of a task's stdout and stderr, read through the master from its agent");
  logs->add_option("task-id", command.task_id, "the task's id")->required();
  auto* out_flag = logs->add_flag("--stdout", command.only_stdout, "only stdout");
  logs->add_flag("--stderr", command.only_stderr, "only stderr")->excludes(out_flag);
  logs->add_option("-n,--lines", command.lines, "lines of each; 0: the whole file")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  logs->add_flag("-f,--follow", command.follow,
                 "keep printing what the task writes, until it ends (or Ctrl-C)");
  logs->callback([&command] { command.verb = Verb::kLogs; });
  return noun;
}

int run_task_command(const TaskCommand& command, std::ostream& out, std::ostream& err) {
  const std::string name = std::string("berth task ") + kVerbNames[static_cast<int>(command.verb)];
  std::string app_path;
  if (!command.app.empty()) {
    auto path = id_path(command.app);
    if (!path.ok()) {
      err << name << ": --app: " << path.error().message << "\n";
      return kExitBadUsage;
    }
    app_path = *path;
  }
  auto client = master_client(command.client, name, err);
  if (!client) return kExitBadUsage;

  switch (command.verb) {
    case TaskCommand::Verb::kList: {
      auto answer = client->expect(
          "GET", app_path.empty() ? "/v2/tasks" : "/v2/apps/" + app_path + "/tasks", {200});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else {
        print_tasks(out, answer->body.value("tasks", json::array()));
      }
      return kExitOk;
    }
    case TaskCommand::Verb::kKill: {
      // Marathon kills a task through its app; the app is found from the task list rather than
      // guessed from the id's format.
      auto tasks = client->expect("GET", "/v2/tasks", {200});
      if (!tasks) return kExitApiError;
      std::string app_id;
      for (const auto& task : tasks->body.value("tasks", json::array())) {
        if (text_field(task, "id") == command.task_id) app_id = text_field(task, "appId");
      }
      auto path = id_path(app_id);
      if (!path.ok()) {
        err << name << ": no running task '" << command.task_id << "'\n";
        return kExitApiError;
      }
      std::string query = std::string("?scale=") + (command.scale ? "true" : "false") +
                          "&wipe=" + (command.wipe ? "true" : "false") +
                          (command.force ? "&force=true" : "");
      auto answer = client->expect(
          "DELETE", "/v2/apps/" + *path + "/tasks/" + percent_encode(command.task_id) + query,
          {200});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else if (command.scale) {
        out << "killing task " << command.task_id << " and scaling " << app_id
            << " down: deployment " << text_field(answer->body, "deploymentId") << "\n";
      } else {
        out << "killing task " << command.task_id << " (" << app_id << " replaces it)\n";
      }
      return kExitOk;
    }
    case TaskCommand::Verb::kLogs:
      return task_logs(command, *client, out);
  }
  return kExitBadUsage;
}

}  // namespace berth
