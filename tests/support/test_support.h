// Helpers shared by tests: where test data lives, reading golden files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace md::test {

// Absolute path of a file under testdata/ (copied from ../shared so tests run from a
// fresh clone alone).
std::string TestData(const std::string& relative);

// Path of the built `moondream` binary (for tests that run the CLI).
std::string MoondreamBinary();

// Whole file as bytes / as little-endian f32 values. Aborts the test on failure.
std::vector<uint8_t> ReadFileBytes(const std::string& path);
std::vector<float> ReadF32File(const std::string& path);

// A fresh empty directory under the system temp dir, removed at process exit.
std::string TempDir();

// Runs a shell command, returns its exit status; stdout captured into *out if given.
int RunCommand(const std::string& command, std::string* out = nullptr);

}  // namespace md::test
