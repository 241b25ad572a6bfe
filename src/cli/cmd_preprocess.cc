// `moondream preprocess IMAGE [--for gguf|official] [--out FILE.f32]`: runs the picture
// pipeline alone (decode, limits, EXIF orientation, max_image_size, model preprocessing),
// prints what it did as JSON and writes the model input as raw little-endian f32.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "formats/image_decode.h"
#include "model/image_preprocess.h"
#include "model/image_tiling.h"

namespace md::cli {
namespace {

struct PreprocessArgs {
  std::string image;
  std::string target = "gguf";
  std::string out;
  int max_image_size = 1280;
  uint64_t max_pixels = 100'000'000;
  uint64_t max_file_bytes = 20ull << 20;
  int max_decode_ms = 10'000;
  bool no_exif = false;
};

bool WriteF32(const std::string& path, const std::vector<float>& values, std::string* error) {
  std::ofstream f(path, std::ios::binary);
  // The host is little-endian on every platform we build for (x86-64, aarch64).
  f.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
  if (!f) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

int Run(const PreprocessArgs& a) {
  std::ifstream in(a.image, std::ios::binary);
  if (!in) return Fail("cannot open " + a.image);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ImageDecodeOptions options;
  options.max_image_size = a.max_image_size;
  options.max_pixels = a.max_pixels;
  options.max_file_bytes = a.max_file_bytes;
  options.max_decode_ms = a.max_decode_ms;
  options.apply_exif_orientation = !a.no_exif;
  StatusOr<DecodedImage> decoded = DecodeImage(bytes, options);
  if (!decoded.ok()) return Fail(a.image + ": " + decoded.status().ToString());
  const DecodedImage& d = *decoded;

  using nlohmann::ordered_json;
  ordered_json j;
  j["image"] = a.image;
  j["format"] = ImageFormatName(d.format);
  j["stored_size"] = {d.stored_width, d.stored_height};
  j["orientation"] = d.orientation;
  j["orientation_applied"] = d.orientation_applied;
  j["decoded_size"] = {d.oriented_width, d.oriented_height};
  j["jpeg_dct_scale"] = std::to_string(d.jpeg_scale_num) + "/8";
  j["max_image_size"] = a.max_image_size;
  j["downscaled"] = d.downscaled;
  j["had_alpha"] = d.had_alpha;
  j["animated"] = d.animated;
  j["for"] = a.target;
  std::vector<float> tensor;
  if (a.target == "official") {
    OfficialCrops crops = PreprocessForOfficial(d.image);
    const OfficialTiling& t = crops.tiling;
    // The keys of testdata/golden/official-tiny/f32/*/geometry.json.
    j["width"] = d.image.width;
    j["height"] = d.image.height;
    j["mode"] = d.had_alpha ? "RGBA" : "RGB";
    j["tiling_rows_cols"] = {t.rows, t.cols};
    j["n_crops"] = crops.n_crops;
    j["resized_local_hw"] = {t.resized_height, t.resized_width};
    j["resampler"] = "Lanczos-3 with Pillow LANCZOS semantics (ours)";
    ordered_json windows = ordered_json::array();
    windows.push_back({{"crop", 0}, {"kind", "global"}, {"source", "whole image resized to 378x378"}});
    for (const CropWindow& w : LocalCropWindows(t)) {
      windows.push_back({{"crop", w.crop}, {"kind", "local"}, {"row", w.row}, {"col", w.col},
                         {"y0", w.y0}, {"x0", w.x0}, {"size", w.size}});
    }
    j["crop_windows"] = windows;
    const int patches = kOfficialCropSize / kOfficialPatch;                       // 27
    const int window_patches = kOfficialWindowPx / kOfficialPatch;                // 19
    const int margin_patches = kOfficialMarginPx / kOfficialPatch;                // 4
    j["reconstructed_grid_hw"] = {t.rows * window_patches + 2 * margin_patches,
                                  t.cols * window_patches + 2 * margin_patches};
    j["pooled_grid_hw"] = {patches, patches};
    j["prefix_positions"] = {0, patches * patches};
    j["encoded_pos"] = patches * patches + 1;
    j["tensor_shape"] = {crops.n_crops, 3, kOfficialCropSize, kOfficialCropSize};
    tensor = std::move(crops.data);
  } else {
    GgufGeometry g;
    tensor = PreprocessForGguf(d.image, &g);
    j["width"] = d.image.width;
    j["height"] = d.image.height;
    j["resized_size"] = {g.resized_width, g.resized_height};
    j["offset"] = {g.offset_x, g.offset_y};
    j["pad_color"] = {122, 116, 104};
    j["tensor_shape"] = {3, kGgufImageSize, kGgufImageSize};
  }
  if (!a.out.empty()) {
    std::string error;
    if (!WriteF32(a.out, tensor, &error)) return Fail(error);
    j["out"] = a.out;
  }
  std::printf("%s\n", j.dump(1).c_str());
  return 0;
}

CommandRegistration kRegistration("preprocess", 80, [](CLI::App& app) -> RunFn {
  auto args = std::make_shared<PreprocessArgs>();
  app.description("Decode a picture and show the model input it becomes (JSON + raw f32)");
  app.add_option("image", args->image, "picture file (JPEG, PNG, WebP, GIF, BMP)")->required();
  app.add_option("--for", args->target, "which preprocessing: gguf (llama.cpp) or official (2025 crops)")
      ->check(CLI::IsMember({"gguf", "official"}));
  app.add_option("--out", args->out, "write the normalized tensor here (raw little-endian f32, planar)");
  app.add_option("--max-image-size", args->max_image_size,
                 "scale pictures whose longest side is larger down to this (0 = off)");
  app.add_option("--max-pixels", args->max_pixels, "refuse pictures with more pixels (0 = no limit)");
  app.add_option("--max-file-bytes", args->max_file_bytes, "refuse larger files (0 = no limit)");
  app.add_option("--max-decode-ms", args->max_decode_ms, "decode time limit (0 = none)");
  app.add_flag("--no-exif-rotation", args->no_exif, "keep the stored orientation (as llama.cpp does)");
  return [args] { return Run(*args); };
});

}  // namespace
}  // namespace md::cli
