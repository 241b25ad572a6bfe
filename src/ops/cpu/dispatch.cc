#include "ops/cpu/dispatch.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/check.h"
#include "common/cpu_info.h"

namespace md::cpu {
namespace {

bool Supported(KernelSet set) {
  const CpuFeatures& f = GetCpuFeatures();
  switch (set) {
    case KernelSet::kScalar:
      return true;
    case KernelSet::kAvx2:
#if defined(__x86_64__)
      return f.avx2 && f.fma && f.f16c;
#else
      return false;
#endif
    case KernelSet::kAvx512:
#if defined(__x86_64__)
      // The AVX-512 file is compiled with VNNI and BF16 enabled and uses VNNI.
      return f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq &&
             f.avx512vnni;
#else
      return false;
#endif
    case KernelSet::kNeon:
#if defined(__aarch64__)
      return f.neon;
#else
      return false;
#endif
  }
  return false;
}

KernelTable Build(KernelSet set) {
  KernelTable t;
  t.set = set;
  AddScalarKernels(&t);
#if defined(__x86_64__)
  if (set == KernelSet::kAvx2 || set == KernelSet::kAvx512) AddAvx2Kernels(&t);
  if (set == KernelSet::kAvx512) AddAvx512Kernels(&t);
#endif
#if defined(__aarch64__)
  if (set == KernelSet::kNeon) AddNeonKernels(&t);
#endif
  return t;
}

KernelSet Best() {
  const std::vector<KernelSet> sets = AvailableKernelSets();
  return sets.back();
}

KernelSet FromEnvironment() {
  const char* env = std::getenv("MOONDREAM_ISA");
  if (env == nullptr || *env == '\0') return Best();
  const std::string want(env);
  for (KernelSet s : {KernelSet::kScalar, KernelSet::kAvx2, KernelSet::kAvx512, KernelSet::kNeon}) {
    if (want == KernelSetName(s)) {
      if (Supported(s)) return s;
      std::fprintf(stderr, "warning: MOONDREAM_ISA=%s is not supported by this CPU; using %s\n",
                   env, std::string(KernelSetName(Best())).c_str());
      return Best();
    }
  }
  std::fprintf(stderr,
               "warning: MOONDREAM_ISA=%s is not one of scalar, avx2, avx512, neon; using %s\n",
               env, std::string(KernelSetName(Best())).c_str());
  return Best();
}

KernelSet& Active() {
  static KernelSet active = FromEnvironment();
  return active;
}

}  // namespace

std::string_view KernelSetName(KernelSet set) {
  switch (set) {
    case KernelSet::kScalar:
      return "scalar";
    case KernelSet::kAvx2:
      return "avx2";
    case KernelSet::kAvx512:
      return "avx512";
    case KernelSet::kNeon:
      return "neon";
  }
  return "unknown";
}

std::vector<KernelSet> AvailableKernelSets() {
  std::vector<KernelSet> out;
  for (KernelSet s : {KernelSet::kScalar, KernelSet::kNeon, KernelSet::kAvx2, KernelSet::kAvx512}) {
    if (Supported(s)) out.push_back(s);
  }
  return out;
}

const KernelTable& Kernels(KernelSet set) {
  static const KernelTable tables[4] = {
      Build(KernelSet::kScalar),
      Supported(KernelSet::kAvx2) ? Build(KernelSet::kAvx2) : KernelTable{},
      Supported(KernelSet::kAvx512) ? Build(KernelSet::kAvx512) : KernelTable{},
      Supported(KernelSet::kNeon) ? Build(KernelSet::kNeon) : KernelTable{}};
  MD_CHECK_MSG(Supported(set), "kernel set not supported by this CPU");
  return tables[static_cast<int>(set)];
}

KernelSet ActiveKernelSet() { return Active(); }

void SetActiveKernelSet(KernelSet set) {
  MD_CHECK_MSG(Supported(set), "kernel set not supported by this CPU");
  Active() = set;
}

}  // namespace md::cpu
