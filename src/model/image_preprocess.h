// Picture -> vision-tower input for the GGUF (llama.cpp / ollama) models, exactly as
// current llama.cpp (mtmd, projector "mlp") does it (../shared/spec/model-gguf.md 3.2):
// aspect-preserving fit into 378 x 378 with llama.cpp's own bicubic, pasted centred on a
// (122, 116, 104) canvas, normalised (v/255 - 0.5)/0.5, planar.
#pragma once

#include <vector>

#include "formats/image_decode.h"

namespace md {

inline constexpr int kGgufImageSize = 378;

// Where the picture went on the canvas.
struct GgufGeometry {
  int resized_width = 0;   // size after the bicubic fit (= input size if 378 x 378)
  int resized_height = 0;
  int offset_x = 0;  // top-left corner of the picture on the canvas
  int offset_y = 0;
};

// The fit for a width x height picture (llama.cpp's f32 scale, ceil, capped at 378).
GgufGeometry GgufFitGeometry(int width, int height);

// The 378 x 378 RGB canvas before normalisation (what llama.cpp hands to its
// normaliser). `geometry` may be null.
RgbImage GgufCanvas(const RgbImage& image, GgufGeometry* geometry = nullptr);

// llama.cpp's bicubic resize (4-point Lagrange cubic, no half-pixel offset, edges
// clamped); exposed for tests.
RgbImage ResizeBicubicLlamaCpp(const RgbImage& src, int out_width, int out_height);

// Writes (u8/255 - 0.5)/0.5 of `image` planar: out[c * h * w + y * w + x], f32.
void NormalizePlanar(const RgbImage& image, float* out);

// The whole GGUF path: canvas, then normalised planar [3, 378, 378] f32.
std::vector<float> PreprocessForGguf(const RgbImage& image, GgufGeometry* geometry = nullptr);

}  // namespace md
