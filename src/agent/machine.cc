// Detecting the machine's identity and resources.
#include "agent/machine.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

namespace berth {

std::string machine_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

std::string resolve_ipv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return "";
  char text[INET_ADDRSTRLEN] = {};
  const auto* address = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  const bool ok = ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof(text)) != nullptr;
  ::freeaddrinfo(found);
  return ok ? text : "";
}

std::string machine_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

Result<Resources> complete_resources(const Resources& given, const std::string& work_dir) {
  Resources resources = given;
  if (given.scalars().count("cpus") == 0) {
    resources.set_scalar("cpus", std::max(1u, std::thread::hardware_concurrency()));
  }
  if (given.scalars().count("mem") == 0) {
    std::ifstream in("/proc/meminfo");
    std::string key;
    double kib = 0;
    while (in >> key >> kib) {
      if (key == "MemTotal:") break;
      in.ignore(1 << 10, '\n');
    }
    double mb = kib / 1024;
    // Leave the system 1 GB, or half of a small machine, as Mesos does.
    double reserve = mb >= 2048 ? 1024 : mb / 2;
    resources.set_scalar("mem", std::max(mb - reserve, 0.0));
  }
  if (given.scalars().count("disk") == 0) {
    struct statvfs info {};
    if (::statvfs(work_dir.c_str(), &info) != 0) {
      return errno_error("statvfs " + work_dir, errno);
    }
    double mb =
        static_cast<double>(info.f_bavail) * static_cast<double>(info.f_frsize) / (1024.0 * 1024.0);
    resources.set_scalar("disk", std::max(mb - std::min(mb / 2, 5120.0), 0.0));
  }
  if (given.ports().empty()) resources.set_ports(Ranges({{31000, 32000}}));
  return resources;
}

}  // namespace berth
