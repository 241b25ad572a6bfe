// What the CPU this process runs on can do, read once at start-up. Kernel dispatch
// (src/ops/cpu) picks an instruction set from this, unless MOONDREAM_ISA forces one.
#pragma once

#include <string>

namespace md {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool neon = false;
  bool dotprod = false;  // ARM SDOT
};

// Features of this machine (cached).
const CpuFeatures& GetCpuFeatures();

// "avx2 fma f16c avx512f ..." for --version and logs.
std::string CpuFeatureString();

// Number of hardware threads (at least 1).
int HardwareThreads();

}  // namespace md
