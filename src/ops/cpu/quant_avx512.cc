#include "ops/cpu/dispatch.h"

namespace md::cpu {

void AddAvx512Kernels(KernelTable* t) {}

}  // namespace md::cpu
