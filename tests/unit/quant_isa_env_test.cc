// MOONDREAM_ISA picks the kernel set the public ops use. The choice is read once, on
// first use, so this executable sets the variable before anything asks.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "ops/cpu/dispatch.h"

namespace md {
namespace {

TEST(QuantIsaEnvTest, ForcesTheNamedSet) {
  const std::vector<cpu::KernelSet> sets = cpu::AvailableKernelSets();
  // The second-best set when there is one, so that forcing is visible.
  const cpu::KernelSet want = sets.size() > 1 ? sets[sets.size() - 2] : sets.back();
  ASSERT_EQ(::setenv("MOONDREAM_ISA", std::string(cpu::KernelSetName(want)).c_str(), 1), 0);
  EXPECT_EQ(cpu::ActiveKernelSet(), want) << cpu::KernelSetName(want);
  // Read once: later changes to the environment do not switch kernels under running code.
  ASSERT_EQ(::setenv("MOONDREAM_ISA", "scalar", 1), 0);
  EXPECT_EQ(cpu::ActiveKernelSet(), want);
  for (cpu::KernelSet s : sets) EXPECT_EQ(cpu::Kernels(s).set, s);
}

}  // namespace
}  // namespace md
