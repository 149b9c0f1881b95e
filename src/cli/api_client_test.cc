// Tests of the client's shared pieces: addresses, ids, refusals, tables, log tails and SSE frames.
#include "cli/api_client.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/event_stream_reader.h"
#include "cli/table.h"
#include "cli/task_command.h"

namespace berth {
namespace {

using nlohmann::json;

TEST(ApiClientTest, ParsesEndpoints) {
  auto endpoint = parse_endpoint("10.0.0.1:8080", "--master");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "10.0.0.1");
  EXPECT_EQ(endpoint->port, 8080);
  EXPECT_EQ(endpoint->text(), "10.0.0.1:8080");
  EXPECT_EQ(parse_endpoint("master", "--master").error().message,
            "--master must be host:port, not 'master'");
  EXPECT_FALSE(parse_endpoint("host:0", "--master").ok());
  EXPECT_FALSE(parse_endpoint("host:65536", "--master").ok());
  EXPECT_FALSE(parse_endpoint("host:80x", "--master").ok());
  EXPECT_FALSE(parse_endpoint(":80", "--master").ok());
}

TEST(ApiClientTest, IdsBecomeEncodedPaths) {
  EXPECT_EQ(*id_path("/shop/web"), "shop/web");
  EXPECT_EQ(*id_path("web"), "web");
  EXPECT_EQ(*id_path("/a b/c?d"), "a%20b/c%3Fd");
  EXPECT_FALSE(id_path("/").ok());
  EXPECT_FALSE(id_path("").ok());
  EXPECT_FALSE(id_path("/shop//web").ok());
}

TEST(ApiClientTest, RefusalsShowEachFieldPath) {
  ApiAnswer answer{422, json::parse(R"({"message":"Object is not valid","details":[
                       {"path":"/cpus","errors":["got -1.0, expected 0.0 or more"]},
                       {"path":"/container/volumes(0)/external/name",
                        "errors":["must not be empty","is invalid"]}]})"),
                   "", ""};
  std::ostringstream err;
  print_refusal(err, "berth app add", answer);
  EXPECT_EQ(err.str(),
            "berth app add: 422 Object is not valid\n"
            "  /cpus: got -1.0, expected 0.0 or more\n"
            "  /container/volumes(0)/external/name: must not be empty\n"
            "  /container/volumes(0)/external/name: is invalid\n");

  std::ostringstream parse_error;
  print_refusal(parse_error, "berth app add",
                {400, json{{"message", "Invalid JSON"}, {"details", "unexpected '}'"}}, "", ""});
  EXPECT_EQ(parse_error.str(), "berth app add: 400 Invalid JSON\n  unexpected '}'\n");

  std::ostringstream not_json;
  print_refusal(not_json, "berth task logs", {502, nullptr, "Bad Gateway", ""});
  EXPECT_EQ(not_json.str(), "berth task logs: 502 Bad Gateway\n");
}

TEST(ApiClientTest, FieldsNeverThrow) {
  json app{{"id", "/web"}, {"instances", 3}, {"cmd", nullptr}};
  EXPECT_EQ(text_field(app, "id"), "/web");
  EXPECT_EQ(text_field(app, "instances"), "3");
  EXPECT_EQ(text_field(app, "cmd"), "");
  EXPECT_EQ(text_field(app, "missing"), "");
  EXPECT_EQ(text_field(json::array(), "id"), "");
  EXPECT_EQ(number_field(app, "instances"), 3);
  EXPECT_EQ(number_field(app, "id", -1), -1);
  EXPECT_EQ(number_field(json("text"), "id", 7), 7);
}

TEST(TableTest, AlignsColumnsWithoutTrailingBlanks) {
  Table table({"ID", "STATE", "CMD"});
  table.add({"/web", "TASK_RUNNING", "sleep 100"});
  table.add({"/a", "", "x"});
  table.add({"/short"});
  std::ostringstream out;
  table.print(out);
  EXPECT_EQ(out.str(),
            "ID      STATE         CMD\n"
            "/web    TASK_RUNNING  sleep 100\n"
            "/a      -             x\n"
            "/short  -             -\n");
  EXPECT_EQ(table.rows(), 3u);
  EXPECT_EQ(truncate("python3 -m http.server", 10), "python3...");
  EXPECT_EQ(truncate("short", 10), "short");
}

TEST(TaskLogsTest, LastLines) {
  EXPECT_EQ(last_lines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(last_lines("a\nb\nc", 2), "b\nc");
  EXPECT_EQ(last_lines("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(last_lines("a\nb\n", 0), "a\nb\n");
  EXPECT_EQ(last_lines("", 3), "");
  EXPECT_EQ(last_lines("\n\n\n", 2), "\n\n");
}

TEST(SseParserTest, FramesAcrossReadsAndChunkSizes) {
  SseParser parser;
  // As the master writes them: one chunk per event, keepalive comments between.
  std::string stream =
      "5e\r\nevent: deployment_success\r\ndata: {\"id\":\"d1\"}\r\n\r\n\r\n3\r\n:\r\n\r\n"
      "40\r\nevent: deployment_failed\r\ndata: {\"id\":\"d2\",\"reason\":\"cancelled\"}\r\n\r\n";
  std::vector<SseEvent> events;
  for (std::size_t i = 0; i < stream.size(); i += 7) {
    for (auto& event : parser.feed(std::string_view(stream).substr(i, 7))) {
      events.push_back(std::move(event));
    }
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "deployment_success");
  EXPECT_EQ(events[0].data["id"], "d1");
  EXPECT_EQ(events[1].type, "deployment_failed");
  EXPECT_EQ(events[1].data["reason"], "cancelled");

  auto odd = parser.feed("data: not json\n\n");
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_EQ(odd[0].type, "message");
  EXPECT_TRUE(odd[0].data.is_null());
}

}  // namespace
}  // namespace berth
