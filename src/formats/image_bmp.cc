// BMP, our own decoder (no Debian library decodes it on its own): Windows BITMAPINFO
// headers v1-v5 and OS/2 core headers; 1, 4, 8 bits with a palette, 16, 24, 32 bits with
// default or explicit bit masks; bottom-up and top-down. Every offset and size is checked
// against the file before it is read. RLE-compressed and embedded JPEG/PNG BMPs are
// refused with a message (rare today; every editor can save them uncompressed).
#include <algorithm>
#include <bit>
#include <cstring>

#include "formats/image_decode_internal.h"

namespace md::image_internal {
namespace {

uint32_t Le16(const uint8_t* p) { return p[0] | p[1] << 8; }
uint32_t Le32(const uint8_t* p) { return Le16(p) | Le16(p + 2) << 16; }

// One channel described by a bit mask, scaled to 0..255.
struct Channel {
  uint32_t mask = 0;
  int shift = 0;
  uint32_t max = 0;

  explicit Channel(uint32_t m) : mask(m) {
    if (m == 0) return;
    shift = std::countr_zero(m);
    const int bits = std::popcount(m >> shift);
    max = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
  }
  uint8_t Get(uint32_t px) const {
    if (mask == 0) return 0;
    const uint64_t v = (px & mask) >> shift;
    return static_cast<uint8_t>((v * 255 + max / 2) / max);
  }
};

}  // namespace

Status DecodeBmp(std::span<const uint8_t> b, const DecodeContext& ctx, FormatResult* out) {
  if (b.size() < 14 + 12) return DataLoss("truncated BMP: " + std::to_string(b.size()) + " bytes, no header");
  const uint32_t pixel_offset = Le32(&b[10]);
  const uint32_t header_size = Le32(&b[14]);
  int64_t width, height;
  uint32_t planes, bpp, compression = 0, colors_used = 0;
  bool core = false;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries
    core = true;
    width = Le16(&b[18]);
    height = static_cast<int16_t>(Le16(&b[20]));
    planes = Le16(&b[22]);
    bpp = Le16(&b[24]);
  } else if (header_size == 40 || header_size == 52 || header_size == 56 || header_size == 64 ||
             header_size == 108 || header_size == 124) {
    if (b.size() < 14 + header_size) return DataLoss("truncated BMP: the header is cut off");
    width = static_cast<int32_t>(Le32(&b[18]));
    height = static_cast<int32_t>(Le32(&b[22]));
    planes = Le16(&b[26]);
    bpp = Le16(&b[28]);
    compression = Le32(&b[30]);
    colors_used = Le32(&b[46]);
    if (header_size == 64 && compression != 0) {
      return Unsupported("OS/2 BMP with compression " + std::to_string(compression) + " is not supported");
    }
  } else {
    return DataLoss("corrupt BMP: unknown header size " + std::to_string(header_size));
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  out->stored_width = static_cast<int>(std::min<int64_t>(width, INT32_MAX));
  out->stored_height = static_cast<int>(std::min<int64_t>(height, INT32_MAX));
  if (planes != 1) return DataLoss("corrupt BMP: " + std::to_string(planes) + " planes");
  if (compression == 1 || compression == 2) {
    return Unsupported("run-length-encoded (RLE) BMP is not supported; save it as an uncompressed BMP or as PNG");
  }
  if (compression == 4 || compression == 5) {
    return Unsupported("BMP with an embedded JPEG/PNG stream is not supported");
  }
  if (compression != 0 && compression != 3 && compression != 6) {
    return Unsupported("BMP compression type " + std::to_string(compression) + " is not supported");
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return Unsupported("BMP with " + std::to_string(bpp) + " bits per pixel is not supported");
  }
  if ((compression == 3 || compression == 6) && bpp != 16 && bpp != 32) {
    return DataLoss("corrupt BMP: bit masks with " + std::to_string(bpp) + " bits per pixel");
  }
  MD_RETURN_IF_ERROR(ctx.CheckSize(width, height, "BMP"));

  // Bit masks: defaults, then explicit ones after a v1 header or inside v2+ headers.
  uint32_t masks[4] = {0, 0, 0, 0};
  if (bpp == 16) {
    masks[0] = 0x7c00, masks[1] = 0x03e0, masks[2] = 0x001f;
  } else if (bpp == 32) {
    masks[0] = 0xff0000, masks[1] = 0xff00, masks[2] = 0xff;
  }
  const size_t after_header = 14 + static_cast<size_t>(header_size);
  size_t palette_at = after_header;
  if (compression == 3 || compression == 6) {
    const size_t n_masks = compression == 6 ? 4 : 3;
    if (header_size == 40) {
      if (b.size() < after_header + 4 * n_masks) return DataLoss("truncated BMP: bit masks cut off");
      for (size_t i = 0; i < n_masks; ++i) masks[i] = Le32(&b[after_header + 4 * i]);
      palette_at += 4 * n_masks;
    } else {
      for (size_t i = 0; i < 3; ++i) masks[i] = Le32(&b[14 + 40 + 4 * i]);
      if (header_size >= 56) masks[3] = Le32(&b[14 + 52]);
    }
  } else if (header_size >= 56 && bpp == 32) {
    masks[3] = Le32(&b[14 + 52]);  // v3+ headers may declare alpha even for BI_RGB
  }
  out->had_alpha = masks[3] != 0;
  if ((bpp == 16 || bpp == 32) && masks[0] == 0 && masks[1] == 0 && masks[2] == 0) {
    return DataLoss("corrupt BMP: all colour bit masks are zero");
  }
  const Channel ch[3] = {Channel(masks[0]), Channel(masks[1]), Channel(masks[2])};

  // Palette.
  std::vector<uint8_t> palette;  // RGB triplets
  if (bpp <= 8) {
    const uint32_t max_colors = 1u << bpp;
    uint32_t n = colors_used == 0 ? max_colors : std::min(colors_used, max_colors);
    const size_t entry = core ? 3 : 4;
    // Writers (OS/2 ones in particular) often store fewer entries than 2^bpp; the table
    // then ends where the pixels start.
    if (pixel_offset >= palette_at) n = std::min<uint64_t>(n, (pixel_offset - palette_at) / entry);
    if (palette_at + n * entry > b.size()) return DataLoss("truncated BMP: the colour table is cut off");
    palette.resize(static_cast<size_t>(max_colors) * 3, 0);
    for (uint32_t i = 0; i < n; ++i) {
      const uint8_t* p = &b[palette_at + i * entry];
      palette[3 * i] = p[2];
      palette[3 * i + 1] = p[1];
      palette[3 * i + 2] = p[0];
    }
  }

  const uint64_t stride = ((static_cast<uint64_t>(width) * bpp + 31) / 32) * 4;
  const uint64_t needed = stride * static_cast<uint64_t>(height);
  if (pixel_offset < 14 + 12 || pixel_offset > b.size() || needed > b.size() - pixel_offset) {
    return DataLoss("truncated BMP: the pixels need " + std::to_string(needed) + " bytes at offset " +
                    std::to_string(pixel_offset) + ", the file has " + std::to_string(b.size()));
  }

  RgbImage& img = out->image;
  img = RgbImage(static_cast<int>(width), static_cast<int>(height));
  for (int64_t y = 0; y < height; ++y) {
    if ((y & 63) == 0 && ctx.Expired()) {
      img = RgbImage();
      return ctx.DeadlineStatus("BMP");
    }
    const uint8_t* src = &b[pixel_offset + stride * static_cast<uint64_t>(y)];
    uint8_t* dst = img.row(static_cast<int>(top_down ? y : height - 1 - y));
    for (int64_t x = 0; x < width; ++x, dst += 3) {
      switch (bpp) {
        case 1:
        case 4:
        case 8: {
          const uint64_t bit = static_cast<uint64_t>(x) * bpp;
          const uint32_t idx = (src[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
          std::memcpy(dst, &palette[3 * idx], 3);
          break;
        }
        case 24:
          dst[0] = src[3 * x + 2];
          dst[1] = src[3 * x + 1];
          dst[2] = src[3 * x];
          break;
        case 16:
        case 32: {
          const uint32_t px = bpp == 16 ? Le16(src + 2 * x) : Le32(src + 4 * x);
          dst[0] = ch[0].Get(px);
          dst[1] = ch[1].Get(px);
          dst[2] = ch[2].Get(px);
          break;
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace md::image_internal
