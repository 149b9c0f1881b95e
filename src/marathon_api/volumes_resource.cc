// /v2/volumes: Berth's volumes in the v2 API's style. Thin handlers over the VolumeController:
// parse, call, map the result (validation 422 with JSON paths, refusals 409, unknown 404).
//
//   GET    /v2/volumes          {"volumes": [volume...]} in name order
//   GET    /v2/volumes/<name>   one volume, with its attachment, epoch, history and last error
//   POST   /v2/volumes          create; 201 with Location and the volume
//   PATCH  /v2/volumes/<name>   {"size": MiB}: grow it (applied when it is next attached)
//   DELETE /v2/volumes/<name>   200 when gone, 202 while a driver deletes it
#include <nlohmann/json.hpp>

#include "marathon_api/resources.h"
#include "storage/volume_controller.h"
#include "storage/volume_record.h"

namespace berth::marathon_api {
namespace {

HttpResponse list_volumes(const VolumeController& volumes) {
  std::string body = R"({"volumes":[)";
  bool first = true;
  for (const VolumeRecord& volume : volumes.list()) {
    if (!first) body += ',';
    first = false;
    body += volume_to_api_json(volume);
  }
  body += "]}";
  return json_ok(200, std::move(body));
}

HttpResponse show_volume(const VolumeController& volumes, const std::string& name) {
  const VolumeRecord* volume = volumes.find(name);
  if (volume == nullptr) return message(404, "Volume '" + name + "' does not exist");
  return json_ok(200, volume_to_api_json(*volume));
}

HttpResponse create_volume(ApiContext& context, VolumeController& volumes,
                           const HttpRequest& request) {
  auto parsed = parse_volume_create_request(request.body);
  if (!parsed.ok()) return error(parsed.error());
  auto created = volumes.create(*parsed);
  if (!created.ok()) return error(created.error());
  HttpResponse response = json_ok(201, volume_to_api_json(*created));
  response.headers.emplace_back("Location", context.base_url() + "/v2/volumes/" + created->name);
  return response;
}

HttpResponse resize_volume(VolumeController& volumes, const std::string& name,
                           const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return message(400, "Invalid JSON: expected an object such as {\"size\": 2048}");
  }
  auto size = body.find("size");
  if (size == body.end() || !size->is_number_integer()) {
    return error(invalid_fields({{"/size", {"error.expected.jsnumber (MiB, a whole number)"}}}));
  }
  auto resized = volumes.resize(name, size->get<std::int64_t>());
  if (!resized.ok()) return error(resized.error());
  return json_ok(200, volume_to_api_json(*resized));
}

HttpResponse delete_volume(VolumeController& volumes, const std::string& name) {
  auto removed = volumes.remove(name);
  if (!removed.ok()) return error(removed.error());
  if (const VolumeRecord* still = volumes.find(name)) {
    return json_ok(202, volume_to_api_json(*still));  // DELETING: a driver is removing it
  }
  return message(200, "Volume '" + name + "' deleted");
}

}  // namespace

HttpResponse handle_volumes(ApiContext& context, const HttpRequest& request,
                            const std::vector<std::string>& segments) {
  if (context.volumes == nullptr) return message(503, "volumes are not enabled on this master");
  VolumeController& volumes = *context.volumes;
  if (segments.size() == 2) {
    if (request.method == "GET") return list_volumes(volumes);
    if (request.method == "POST") return create_volume(context, volumes, request);
    return message(405, "Method not allowed");
  }
  if (segments.size() != 3) return message(404, "URI not found");
  const std::string& name = segments[2];
  if (request.method == "GET") return show_volume(volumes, name);
  if (request.method == "DELETE") return delete_volume(volumes, name);
  if (request.method == "PATCH") return resize_volume(volumes, name, request);
  return message(405, "Method not allowed");
}

}  // namespace berth::marathon_api
