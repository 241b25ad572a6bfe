// libFuzzer target: the whole picture path, bytes -> DecodeImage -> both model
// preprocessings (see the sampling note below). Limits are lowered so that one input stays within the fuzzer's memory
// and time budget; any crash, leak, sanitizer report or CHECK failure is a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/image_decode.h"
#include "model/image_preprocess.h"
#include "model/image_tiling.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  md::ImageDecodeOptions options;
  options.max_file_bytes = 4u << 20;
  options.max_pixels = 1'000'000;
  options.max_decode_ms = 3'000;
  options.max_image_size = 600;  // exercises the downscale path on larger inputs
  md::StatusOr<md::DecodedImage> decoded = md::DecodeImage(std::span<const uint8_t>(data, size), options);
  if (!decoded.ok()) {
    if (decoded.status().message().empty()) __builtin_trap();  // every error has a reason
    return 0;
  }
  const md::RgbImage& image = decoded->image;
  if (image.width <= 0 || image.height <= 0 || image.width > 600 || image.height > 600) __builtin_trap();
  // The official path (up to 13 Lanczos crops of 378 x 378) costs ~10x a small decode
  // and depends on the bytes only through the decoded picture, so it runs on one input
  // in four (chosen by length, so a crashing input reproduces); the GGUF path and the
  // tiling run on every input.
  const md::OfficialTiling tiling = md::SelectOfficialTiling(image.width, image.height);
  if (tiling.rows * tiling.cols > 12 || tiling.rows < 1 || tiling.cols < 1) __builtin_trap();
  {
    const std::vector<float> gguf = md::PreprocessForGguf(image);
    if (gguf.size() != 3u * 378 * 378) __builtin_trap();
  }
  if (size % 4 == 0) {
    const md::OfficialCrops official = md::PreprocessForOfficial(image);
    if (official.n_crops != tiling.n_crops()) __builtin_trap();
  }
  return 0;
}
