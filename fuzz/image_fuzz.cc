// libFuzzer target: the whole picture path, bytes -> DecodeImage -> both model
// preprocessings. Limits are lowered so that one input stays within the fuzzer's memory
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
  options.max_pixels = 4'000'000;
  options.max_decode_ms = 3'000;
  options.max_image_size = 600;  // exercises the downscale path on larger inputs
  md::StatusOr<md::DecodedImage> decoded = md::DecodeImage(std::span<const uint8_t>(data, size), options);
  if (!decoded.ok()) {
    if (decoded.status().message().empty()) __builtin_trap();  // every error has a reason
    return 0;
  }
  const md::RgbImage& image = decoded->image;
  if (image.width <= 0 || image.height <= 0 || image.width > 600 || image.height > 600) __builtin_trap();
  const std::vector<float> gguf = md::PreprocessForGguf(image);
  const md::OfficialCrops official = md::PreprocessForOfficial(image);
  if (gguf.size() != 3u * 378 * 378 || official.n_crops < 2 || official.n_crops > 13) __builtin_trap();
  return 0;
}
