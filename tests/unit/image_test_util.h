// Test pictures made on the fly with the libraries' own encoders (libjpeg, libpng,
// libwebp, giflib) or by hand (BMP, WebP/RIFF containers), so that no binary test
// files are needed and every variant the decoder claims is exercised.
#pragma once

#include <gif_lib.h>
#include <png.h>
#include <webp/encode.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
// jpeglib.h needs FILE and size_t first.
#include <jpeglib.h>

#include "formats/image_decode.h"

namespace md::test {

using Bytes = std::vector<uint8_t>;

// A smooth picture (lossy codecs keep it within a few levels): R = x ramp, G = y ramp,
// B = a diagonal mix.
inline RgbImage Gradient(int w, int h) {
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(w > 1 ? x * 255 / (w - 1) : 0);
      p[1] = static_cast<uint8_t>(h > 1 ? y * 255 / (h - 1) : 0);
      p[2] = static_cast<uint8_t>((p[0] + 2 * p[1]) / 3);
    }
  }
  return img;
}

// Four flat quadrants (red, green, blue, white: top-left, top-right, bottom-left,
// bottom-right): where each ends up shows how a picture was turned.
inline RgbImage Quadrants(int w, int h) {
  static const uint8_t kColors[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int q = (y >= h / 2) * 2 + (x >= w / 2);
      std::memcpy(img.row(y) + 3 * x, kColors[q], 3);
    }
  }
  return img;
}

// Mean and max absolute difference of two same-size pictures.
inline double MeanAbsDiff(const RgbImage& a, const RgbImage& b, int* max_diff = nullptr) {
  if (a.width != b.width || a.height != b.height) return 1e9;
  double sum = 0;
  int mx = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int d = std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    sum += d;
    mx = std::max(mx, d);
  }
  if (max_diff) *max_diff = mx;
  return a.pixels.empty() ? 0 : sum / a.pixels.size();
}

// ------------------------------------------------------------------ JPEG
struct JpegSpec {
  J_COLOR_SPACE in_space = JCS_RGB;  // JCS_RGB, JCS_GRAYSCALE or JCS_CMYK
  J_COLOR_SPACE jpeg_space = JCS_UNKNOWN;  // JCS_YCCK to store CMYK as YCCK
  int quality = 95;
  bool progressive = false;
  Bytes exif;  // APP1 payload written after "Exif\0\0" when not empty
};

// `samples` has width * height * components bytes (1 for gray, 3 RGB, 4 CMYK).
inline Bytes EncodeJpegRaw(const uint8_t* samples, int w, int h, const JpegSpec& spec) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.in_color_space = spec.in_space;
  c.input_components = spec.in_space == JCS_GRAYSCALE ? 1 : spec.in_space == JCS_CMYK ? 4 : 3;
  jpeg_set_defaults(&c);
  if (spec.jpeg_space != JCS_UNKNOWN) jpeg_set_colorspace(&c, spec.jpeg_space);
  jpeg_set_quality(&c, spec.quality, TRUE);
  if (spec.progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  if (!spec.exif.empty()) {
    Bytes app1 = {'E', 'x', 'i', 'f', 0, 0};
    app1.insert(app1.end(), spec.exif.begin(), spec.exif.end());
    jpeg_write_marker(&c, JPEG_APP0 + 1, app1.data(), static_cast<unsigned>(app1.size()));
  }
  const int stride = w * c.input_components;
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(samples + static_cast<size_t>(c.next_scanline) * stride);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  Bytes out(buf, buf + size);
  std::free(buf);
  return out;
}

inline Bytes EncodeJpeg(const RgbImage& img, const JpegSpec& spec = {}) {
  return EncodeJpegRaw(img.pixels.data(), img.width, img.height, spec);
}

// A TIFF/EXIF block (no "Exif\0\0" prefix) holding only IFD0 with an Orientation tag.
inline Bytes ExifWithOrientation(int orientation, bool big_endian = false) {
  Bytes b;
  auto u16 = [&](uint32_t v) {
    if (big_endian) {
      b.push_back(v >> 8), b.push_back(v & 255);
    } else {
      b.push_back(v & 255), b.push_back(v >> 8);
    }
  };
  auto u32 = [&](uint32_t v) {
    if (big_endian) {
      u16(v >> 16), u16(v & 0xffff);
    } else {
      u16(v & 0xffff), u16(v >> 16);
    }
  };
  b.push_back(big_endian ? 'M' : 'I');
  b.push_back(big_endian ? 'M' : 'I');
  u16(42);
  u32(8);  // IFD0 right after the header
  u16(2);  // two entries: a dummy ImageDescription-less XResolution-like tag, then Orientation
  u16(0x011a), u16(5), u32(1), u32(0);  // XResolution (RATIONAL), offset ignored
  u16(0x0112), u16(3), u32(1), u16(orientation), u16(0);
  u32(0);  // no next IFD
  return b;
}

// ------------------------------------------------------------------ PNG
struct PngSpec {
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlace = false;
  std::vector<png_color> palette;
  std::vector<uint8_t> trans;  // palette alpha (tRNS)
  Bytes exif;                  // eXIf chunk payload
};

// `rows`: height rows of packed samples exactly as PNG stores them (16-bit big-endian).
inline Bytes EncodePngRaw(const std::vector<Bytes>& rows, int w, int h, const PngSpec& spec) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        auto* o = static_cast<Bytes*>(png_get_io_ptr(p));
        o->insert(o->end(), data, data + n);
      },
      nullptr);
  png_set_compression_level(png, 1);
  png_set_IHDR(png, info, w, h, spec.bit_depth, spec.color_type,
               spec.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.trans.empty()) {
    png_set_tRNS(png, info, spec.trans.data(), static_cast<int>(spec.trans.size()), nullptr);
  }
  if (!spec.exif.empty()) {
    png_set_eXIf_1(png, info, static_cast<png_uint_32>(spec.exif.size()), const_cast<uint8_t*>(spec.exif.data()));
  }
  png_write_info(png, info);
  std::vector<png_bytep> ptrs;
  for (const Bytes& r : rows) ptrs.push_back(const_cast<png_bytep>(r.data()));
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

inline Bytes EncodePngRgb(const RgbImage& img, bool interlace = false, const Bytes& exif = {}) {
  std::vector<Bytes> rows;
  for (int y = 0; y < img.height; ++y) rows.emplace_back(img.row(y), img.row(y) + img.width * 3);
  PngSpec spec;
  spec.interlace = interlace;
  spec.exif = exif;
  return EncodePngRaw(rows, img.width, img.height, spec);
}

// ------------------------------------------------------------------ WebP
inline Bytes TakeWebp(uint8_t* out, size_t size) {
  Bytes b(out, out + size);
  WebPFree(out);
  return b;
}

inline Bytes EncodeWebpLossy(const RgbImage& img, float quality = 90) {
  uint8_t* out = nullptr;
  const size_t n = WebPEncodeRGB(img.pixels.data(), img.width, img.height, img.width * 3, quality, &out);
  return TakeWebp(out, n);
}
inline Bytes EncodeWebpLossless(const RgbImage& img) {
  uint8_t* out = nullptr;
  const size_t n = WebPEncodeLosslessRGB(img.pixels.data(), img.width, img.height, img.width * 3, &out);
  return TakeWebp(out, n);
}
// rgba: w * h * 4.
inline Bytes EncodeWebpRgba(const Bytes& rgba, int w, int h, bool lossless) {
  uint8_t* out = nullptr;
  const size_t n = lossless ? WebPEncodeLosslessRGBA(rgba.data(), w, h, w * 4, &out)
                            : WebPEncodeRGBA(rgba.data(), w, h, w * 4, 90, &out);
  return TakeWebp(out, n);
}

inline void PutLe(Bytes& b, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back((v >> (8 * i)) & 255);
}
inline void PutChunk(Bytes& b, const char* fourcc, const Bytes& payload) {
  b.insert(b.end(), fourcc, fourcc + 4);
  PutLe(b, static_cast<uint32_t>(payload.size()), 4);
  b.insert(b.end(), payload.begin(), payload.end());
  if (payload.size() & 1) b.push_back(0);
}
inline Bytes Riff(const Bytes& body) {
  Bytes b = {'R', 'I', 'F', 'F'};
  PutLe(b, static_cast<uint32_t>(body.size() + 4), 4);
  b.insert(b.end(), {'W', 'E', 'B', 'P'});
  b.insert(b.end(), body.begin(), body.end());
  return b;
}
// The chunks of a simple WebP file (its first chunk: "VP8 " or "VP8L" with payload).
inline Bytes WebpImageChunks(const Bytes& simple_webp) {
  return Bytes(simple_webp.begin() + 12, simple_webp.end());
}
inline Bytes Vp8x(uint8_t flags, int canvas_w, int canvas_h) {
  Bytes p;
  p.push_back(flags);
  PutLe(p, 0, 3);
  PutLe(p, canvas_w - 1, 3);
  PutLe(p, canvas_h - 1, 3);
  Bytes b;
  PutChunk(b, "VP8X", p);
  return b;
}

// An extended WebP with an EXIF chunk after the picture.
inline Bytes WebpWithExif(const RgbImage& img, const Bytes& exif) {
  Bytes body = Vp8x(0x08, img.width, img.height);
  const Bytes pic = WebpImageChunks(EncodeWebpLossless(img));
  body.insert(body.end(), pic.begin(), pic.end());
  PutChunk(body, "EXIF", exif);
  return Riff(body);
}

// An animated WebP: each frame full-canvas, lossless.
inline Bytes AnimatedWebp(const std::vector<RgbImage>& frames) {
  const int w = frames[0].width, h = frames[0].height;
  Bytes body = Vp8x(0x02 | 0x10, w, h);  // animation + alpha
  Bytes anim;
  PutLe(anim, 0xffffffff, 4);  // background colour
  PutLe(anim, 0, 2);           // loop forever
  PutChunk(body, "ANIM", anim);
  for (const RgbImage& f : frames) {
    Bytes anmf;
    PutLe(anmf, 0, 3);
    PutLe(anmf, 0, 3);
    PutLe(anmf, w - 1, 3);
    PutLe(anmf, h - 1, 3);
    PutLe(anmf, 100, 3);  // duration ms
    anmf.push_back(0x02);  // no blending, no disposal
    const Bytes pic = WebpImageChunks(EncodeWebpLossless(f));
    anmf.insert(anmf.end(), pic.begin(), pic.end());
    PutChunk(body, "ANMF", anmf);
  }
  return Riff(body);
}

// ------------------------------------------------------------------ GIF
struct GifFrame {
  int left = 0, top = 0, width = 0, height = 0;
  std::vector<uint8_t> indices;  // width * height
  bool interlace = false;
  int transparent = -1;
  std::vector<GifColorType> local_palette;  // empty = use the global one
};

inline Bytes EncodeGif(int screen_w, int screen_h, const std::vector<GifColorType>& palette,
                       int background, const std::vector<GifFrame>& frames, bool netscape = false) {
  Bytes out;
  int err = 0;
  GifFileType* gif = EGifOpen(&out,
                              [](GifFileType* g, const GifByteType* data, int n) {
                                auto* o = static_cast<Bytes*>(g->UserData);
                                o->insert(o->end(), data, data + n);
                                return n;
                              },
                              &err);
  EGifSetGifVersion(gif, true);
  ColorMapObject* map = GifMakeMapObject(static_cast<int>(palette.size()), palette.data());
  EGifPutScreenDesc(gif, screen_w, screen_h, 8, background, map);
  if (netscape) {
    EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE);
    EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0");
    const uint8_t loop[3] = {1, 0, 0};
    EGifPutExtensionBlock(gif, 3, loop);
    EGifPutExtensionTrailer(gif);
  }
  for (const GifFrame& f : frames) {
    if (f.transparent >= 0) {
      const uint8_t gce[4] = {0x01, 10, 0, static_cast<uint8_t>(f.transparent)};
      EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce);
    }
    ColorMapObject* local = nullptr;
    if (!f.local_palette.empty()) {
      local = GifMakeMapObject(static_cast<int>(f.local_palette.size()), f.local_palette.data());
    }
    EGifPutImageDesc(gif, f.left, f.top, f.width, f.height, f.interlace, local);
    if (f.interlace) {
      for (int pass = 0; pass < 4; ++pass) {
        static const int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
        for (int y = kStart[pass]; y < f.height; y += kStep[pass]) {
          EGifPutLine(gif, const_cast<GifPixelType*>(&f.indices[y * f.width]), f.width);
        }
      }
    } else {
      for (int y = 0; y < f.height; ++y) {
        EGifPutLine(gif, const_cast<GifPixelType*>(&f.indices[y * f.width]), f.width);
      }
    }
    if (local) GifFreeMapObject(local);
  }
  EGifCloseFile(gif, &err);
  GifFreeMapObject(map);
  return out;
}

// ------------------------------------------------------------------ BMP (by hand)
struct BmpSpec {
  int bpp = 24;
  bool top_down = false;
  int header_size = 40;  // 12 (OS/2), 40, 108, 124
  uint32_t compression = 0;
  uint32_t masks[4] = {0, 0, 0, 0};  // written when compression is 3 (BI_BITFIELDS)
  std::vector<uint8_t> palette_rgb;  // for bpp <= 8
};

// `pixels`: for bpp <= 8 palette indices (w * h), else RGB (w * h * 3); 16/32-bit pixels
// are packed with spec.masks (or the defaults 555 / 888).
inline Bytes EncodeBmp(const std::vector<uint8_t>& pixels, int w, int h, const BmpSpec& s) {
  const uint32_t stride = ((w * s.bpp + 31) / 32) * 4;
  const int n_colors = s.bpp <= 8 ? static_cast<int>(s.palette_rgb.size() / 3) : 0;
  const int entry = s.header_size == 12 ? 3 : 4;
  const bool masks_after = s.compression == 3 && s.header_size == 40;
  const uint32_t offset = 14 + s.header_size + (masks_after ? 12 : 0) + n_colors * entry;
  Bytes b = {'B', 'M'};
  PutLe(b, offset + stride * h, 4);
  PutLe(b, 0, 4);
  PutLe(b, offset, 4);
  PutLe(b, s.header_size, 4);
  if (s.header_size == 12) {
    PutLe(b, w, 2);
    PutLe(b, h, 2);
    PutLe(b, 1, 2);
    PutLe(b, s.bpp, 2);
  } else {
    PutLe(b, w, 4);
    PutLe(b, s.top_down ? static_cast<uint32_t>(-h) : h, 4);
    PutLe(b, 1, 2);
    PutLe(b, s.bpp, 2);
    PutLe(b, s.compression, 4);
    PutLe(b, stride * h, 4);
    PutLe(b, 2835, 4);
    PutLe(b, 2835, 4);
    PutLe(b, n_colors, 4);
    PutLe(b, 0, 4);
    if (s.header_size > 40) {
      for (int i = 0; i < 4; ++i) PutLe(b, s.masks[i], 4);
      while (b.size() < 14u + s.header_size) b.push_back(0);
    }
  }
  if (masks_after) {
    for (int i = 0; i < 3; ++i) PutLe(b, s.masks[i], 4);
  }
  for (int i = 0; i < n_colors; ++i) {
    b.push_back(s.palette_rgb[3 * i + 2]);
    b.push_back(s.palette_rgb[3 * i + 1]);
    b.push_back(s.palette_rgb[3 * i]);
    if (entry == 4) b.push_back(0);
  }
  uint32_t m[3] = {s.masks[0], s.masks[1], s.masks[2]};
  if (s.compression == 0 && s.bpp == 16) m[0] = 0x7c00, m[1] = 0x3e0, m[2] = 0x1f;
  if (s.compression == 0 && s.bpp == 32) m[0] = 0xff0000, m[1] = 0xff00, m[2] = 0xff;
  for (int r = 0; r < h; ++r) {
    const int y = s.top_down ? r : h - 1 - r;
    Bytes row(stride, 0);
    for (int x = 0; x < w; ++x) {
      if (s.bpp <= 8) {
        const int bit = x * s.bpp;
        row[bit / 8] |= pixels[y * w + x] << (8 - s.bpp - bit % 8);
      } else if (s.bpp == 24) {
        const uint8_t* p = &pixels[(y * w + x) * 3];
        row[3 * x] = p[2], row[3 * x + 1] = p[1], row[3 * x + 2] = p[0];
      } else {
        const uint8_t* p = &pixels[(y * w + x) * 3];
        uint32_t v = 0;
        for (int c = 0; c < 3; ++c) {
          const int shift = __builtin_ctz(m[c]);
          const uint32_t maxv = m[c] >> shift;
          v |= ((p[c] * maxv + 127) / 255) << shift;
        }
        if (s.masks[3]) v |= s.masks[3];  // opaque alpha
        for (int i = 0; i < s.bpp / 8; ++i) row[x * s.bpp / 8 + i] = (v >> (8 * i)) & 255;
      }
    }
    b.insert(b.end(), row.begin(), row.end());
  }
  return b;
}

inline std::vector<uint8_t> RgbBytes(const RgbImage& img) { return img.pixels; }

}  // namespace md::test
