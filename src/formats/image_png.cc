// PNG through libpng. libpng reports errors through a callback that must not return: ours
// records the message and longjmps to the setjmp in RunDecoder. Data comes from memory
// through a read callback that raises an error instead of reading past the end.
#include <png.h>

#include <cstdio>
#include <cstring>

#include "formats/image_decode_internal.h"

namespace md::image_internal {
namespace {

struct PngSource {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
  char message[256] = {0};
};

void OnRead(png_structp png, png_bytep data, size_t length) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (length > src->bytes.size() - src->pos) png_error(png, "file is truncated");
  std::memcpy(data, src->bytes.data() + src->pos, length);
  src->pos += length;
}

[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof(src->message), "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}  // ancillary-chunk trouble only

uint32_t BigEndian32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

bool RunDecoder(png_structp png, png_infop info, const DecodeContext& ctx, FormatResult* out,
                Status* status, std::vector<uint8_t>* rgba) {
  if (setjmp(png_jmpbuf(png))) return false;
  // Our own pixel limit decides; libpng's default 1,000,000 x 1,000,000 cap would give a
  // less helpful message.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(png, 16u << 20);  // bounds text/ICC chunk decompression
  png_read_info(png, info);

  png_uint_32 w = 0, h = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  out->stored_width = static_cast<int>(w);
  out->stored_height = static_cast<int>(h);
  *status = ctx.CheckSize(w, h, "PNG");
  if (!status->ok()) return true;
  out->had_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS);

  // Everything to 8-bit RGB: palettes expanded, gray replicated, 16-bit samples keep the
  // high byte (as stb_image and Pillow do), alpha (channel or tRNS) dropped.
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  if ((channels != 3 && channels != 4) || png_get_rowbytes(png, info) != static_cast<size_t>(w) * channels) {
    *status = Unsupported("PNG pixel layout not supported (" + std::to_string(channels) + " channels)");
    return true;
  }
  out->image = RgbImage(static_cast<int>(w), static_cast<int>(h));
  if (channels == 4) rgba->resize(static_cast<size_t>(w) * h * 4);
  for (int pass = 0; pass < passes; ++pass) {
    for (png_uint_32 y = 0; y < h; ++y) {
      if (ctx.Expired()) {
        *status = ctx.DeadlineStatus("PNG");
        return true;
      }
      png_bytep row = channels == 3 ? out->image.row(static_cast<int>(y)) : rgba->data() + static_cast<size_t>(y) * w * 4;
      png_read_row(png, row, nullptr);
    }
  }
  if (channels == 4) {
    const uint8_t* s = rgba->data();
    uint8_t* d = out->image.pixels.data();
    for (size_t i = 0; i < static_cast<size_t>(w) * h; ++i, s += 4, d += 3) std::memcpy(d, s, 3);
  }
  // png_read_end is skipped on purpose: chunks after the pixel data cannot change them.
  return true;
}

}  // namespace

int PngExifOrientation(std::span<const uint8_t> bytes) {
  size_t pos = 8;
  while (pos + 12 <= bytes.size()) {
    const uint32_t len = BigEndian32(bytes.data() + pos);
    const uint8_t* type = bytes.data() + pos + 4;
    if (len > bytes.size() - pos - 12) break;
    if (std::memcmp(type, "eXIf", 4) == 0) {
      return ParseExifOrientation(bytes.subspan(pos + 8, len));
    }
    if (std::memcmp(type, "IEND", 4) == 0) break;
    pos += 12 + static_cast<size_t>(len);
  }
  return 1;
}

Status DecodePng(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out) {
  PngSource src;
  src.bytes = bytes;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, OnError, OnWarning);
  if (png == nullptr) return ResourceExhausted("cannot start the PNG decoder");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return ResourceExhausted("cannot start the PNG decoder");
  }
  png_set_read_fn(png, &src, OnRead);
  Status status;
  std::vector<uint8_t> rgba;
  const bool finished = RunDecoder(png, info, ctx, out, &status, &rgba);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!finished) {
    out->image = RgbImage();
    return DataLoss(std::string("corrupt or truncated PNG: ") + src.message);
  }
  if (!status.ok()) {
    out->image = RgbImage();
    return status;
  }
  out->orientation = PngExifOrientation(bytes);
  return Status::Ok();
}

}  // namespace md::image_internal
