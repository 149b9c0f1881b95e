// A stand-in for `berth __supervise` in the containerizer's tests and benchmark, so that they
// need neither the whole berth binary nor its start-up cost.
#include <cstring>

#include "agent/linux/supervisor.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "__supervise") == 0) {
    return berth::supervise_main(argc, argv);
  }
  return 2;
}
