#include "ops/cpu/dispatch.h"

namespace md::cpu {

void AddAvx2Kernels(KernelTable* t) {}

}  // namespace md::cpu
