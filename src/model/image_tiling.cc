#include "model/image_tiling.h"

#include <algorithm>
#include <cmath>

#include "formats/image_resize.h"
#include "model/image_preprocess.h"

namespace md {
namespace {

// select_tiling of the spec (5.3), on the usable size (margins removed), in double.
void SelectTiling(int h, int w, int s, int max_crops, int* rows, int* cols) {
  if (h <= s || w <= s) {
    *rows = *cols = 1;
    return;
  }
  const int min_h = (h + s - 1) / s;
  const int min_w = (w + s - 1) / s;
  if (static_cast<int64_t>(min_h) * min_w > max_crops) {
    const double r = std::sqrt(static_cast<double>(max_crops) / (static_cast<double>(min_h) * min_w));
    *rows = std::max(1, static_cast<int>(std::floor(min_h * r)));
    *cols = std::max(1, static_cast<int>(std::floor(min_w * r)));
    return;
  }
  int th = static_cast<int>(std::floor(std::sqrt(static_cast<double>(max_crops) * h / w)));
  int tw = static_cast<int>(std::floor(std::sqrt(static_cast<double>(max_crops) * w / h)));
  th = std::max(th, min_h);
  tw = std::max(tw, min_w);
  if (th * tw > max_crops) {
    if (tw > th) {
      tw = max_crops / th;
    } else {
      th = max_crops / tw;
    }
  }
  *rows = std::max(1, th);
  *cols = std::max(1, tw);
}

}  // namespace

OfficialTiling SelectOfficialTiling(int width, int height, int max_crops) {
  OfficialTiling t;
  SelectTiling(height - 2 * kOfficialMarginPx, width - 2 * kOfficialMarginPx, kOfficialWindowPx,
               max_crops, &t.rows, &t.cols);
  t.resized_height = t.rows * kOfficialWindowPx + 2 * kOfficialMarginPx;
  t.resized_width = t.cols * kOfficialWindowPx + 2 * kOfficialMarginPx;
  return t;
}

std::vector<CropWindow> LocalCropWindows(const OfficialTiling& tiling) {
  std::vector<CropWindow> windows;
  for (int i = 0; i < tiling.rows; ++i) {
    for (int j = 0; j < tiling.cols; ++j) {
      CropWindow w;
      w.crop = 1 + i * tiling.cols + j;
      w.row = i;
      w.col = j;
      w.y0 = i * kOfficialWindowPx;
      w.x0 = j * kOfficialWindowPx;
      windows.push_back(w);
    }
  }
  return windows;
}

std::vector<RgbImage> OfficialCropImages(const RgbImage& image, OfficialTiling* tiling) {
  const OfficialTiling t = SelectOfficialTiling(image.width, image.height);
  if (tiling != nullptr) *tiling = t;
  std::vector<RgbImage> crops;
  crops.reserve(t.n_crops());
  crops.push_back(ResizeLanczos(image, kOfficialCropSize, kOfficialCropSize));
  const RgbImage big = ResizeLanczos(image, t.resized_width, t.resized_height);
  for (const CropWindow& w : LocalCropWindows(t)) {
    RgbImage crop(w.size, w.size);
    for (int y = 0; y < w.size; ++y) {
      std::copy_n(big.row(w.y0 + y) + static_cast<size_t>(w.x0) * 3, static_cast<size_t>(w.size) * 3,
                  crop.row(y));
    }
    crops.push_back(std::move(crop));
  }
  return crops;
}

OfficialCrops PreprocessForOfficial(const RgbImage& image) {
  OfficialCrops out;
  const std::vector<RgbImage> crops = OfficialCropImages(image, &out.tiling);
  out.n_crops = static_cast<int>(crops.size());
  const size_t per_crop = static_cast<size_t>(3) * kOfficialCropSize * kOfficialCropSize;
  out.data.resize(per_crop * crops.size());
  for (size_t i = 0; i < crops.size(); ++i) NormalizePlanar(crops[i], out.data.data() + i * per_crop);
  return out;
}

}  // namespace md
