// Picture -> crops for the official 2025 Moondream2 checkpoint
// (../shared/spec/moondream2-official.md section 5): one global 378 x 378 view of the
// whole picture plus up to 12 overlapping local 378 x 378 crops cut from a resized copy,
// each normalised (p/255 - 0.5)/0.5 into planar f32. Resizing uses Pillow-LANCZOS
// semantics (formats/image_resize.h), which is what the goldens were made with.
#pragma once

#include <vector>

#include "formats/image_decode.h"

namespace md {

inline constexpr int kOfficialCropSize = 378;    // pixels per crop side
inline constexpr int kOfficialPatch = 14;
inline constexpr int kOfficialMarginPx = 56;     // 4 patches on each side
inline constexpr int kOfficialWindowPx = 266;    // 378 - 2 * 56: the step between crops
inline constexpr int kOfficialMaxCrops = 12;     // local crops

// How a picture is tiled (rows x cols local crops) and the size the picture is resized
// to before cutting them: (rows * 266 + 112) x (cols * 266 + 112).
struct OfficialTiling {
  int rows = 1;
  int cols = 1;
  int resized_height = kOfficialCropSize;
  int resized_width = kOfficialCropSize;
  int n_crops() const { return 1 + rows * cols; }  // global + local
};

// select_tiling of spec 5.3 applied to a width x height picture.
OfficialTiling SelectOfficialTiling(int width, int height, int max_crops = kOfficialMaxCrops);

// Local crop `1 + row * cols + col` is the window at (y0, x0), size 378, of the resized
// picture. Windows always fit: (rows - 1) * 266 + 378 == resized_height.
struct CropWindow {
  int crop = 0;  // index in the output tensor (0 is the global view)
  int row = 0;
  int col = 0;
  int y0 = 0;
  int x0 = 0;
  int size = kOfficialCropSize;
};
std::vector<CropWindow> LocalCropWindows(const OfficialTiling& tiling);

// The crops as 8-bit pictures: [0] = whole picture resized to 378 x 378, then the local
// crops in row-major order.
std::vector<RgbImage> OfficialCropImages(const RgbImage& image, OfficialTiling* tiling);

struct OfficialCrops {
  OfficialTiling tiling;
  int n_crops = 0;
  std::vector<float> data;  // [n_crops, 3, 378, 378] f32, normalised
};

// The whole official path.
OfficialCrops PreprocessForOfficial(const RgbImage& image);

}  // namespace md
