// GIF through giflib, record by record, stopping after the first image: a many-frame
// file costs no more than its first frame (DGifSlurp would decode them all).
#include <gif_lib.h>

#include <algorithm>
#include <cstring>

#include "formats/image_decode_internal.h"

namespace md::image_internal {
namespace {

struct GifSource {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
};

int OnRead(GifFileType* gif, GifByteType* buf, int len) {
  auto* src = static_cast<GifSource*>(gif->UserData);
  const size_t n = std::min(static_cast<size_t>(std::max(len, 0)), src->bytes.size() - src->pos);
  std::memcpy(buf, src->bytes.data() + src->pos, n);
  src->pos += n;
  return static_cast<int>(n);
}

std::string GifError(int code) {
  const char* s = GifErrorString(code);
  return s != nullptr ? s : ("error " + std::to_string(code));
}

Status ReadFirstFrame(GifFileType* gif, const DecodeContext& ctx, FormatResult* out) {
  int transparent = -1;
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
      return DataLoss("corrupt or truncated GIF: " + GifError(gif->Error));
    }
    if (type == TERMINATE_RECORD_TYPE) return DataLoss("GIF file has no picture in it");
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR) {
        return DataLoss("corrupt or truncated GIF: " + GifError(gif->Error));
      }
      if (code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4 && (ext[1] & 1)) {
        transparent = ext[4];
      }
      if (code == APPLICATION_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 11 &&
          std::memcmp(ext + 1, "NETSCAPE2.0", 11) == 0) {
        out->animated = true;
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) {
          return DataLoss("corrupt or truncated GIF: " + GifError(gif->Error));
        }
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif) == GIF_ERROR) {
      return DataLoss("corrupt or truncated GIF: " + GifError(gif->Error));
    }
    const GifImageDesc& d = gif->Image;
    MD_RETURN_IF_ERROR(ctx.CheckSize(d.Width, d.Height, "GIF frame"));
    const ColorMapObject* map = d.ColorMap != nullptr ? d.ColorMap : gif->SColorMap;
    if (map == nullptr || map->Colors == nullptr) return DataLoss("corrupt GIF: no colour table");

    // Canvas in the logical screen's background colour; the frame is pasted at its
    // offset. Transparent pixels keep their palette colour (alpha dropped, like the
    // other formats).
    RgbImage& img = out->image;
    img = RgbImage(out->stored_width, out->stored_height);
    uint8_t bg[3] = {0, 0, 0};
    if (gif->SColorMap != nullptr && gif->SBackGroundColor < gif->SColorMap->ColorCount) {
      const GifColorType& c = gif->SColorMap->Colors[gif->SBackGroundColor];
      bg[0] = c.Red;
      bg[1] = c.Green;
      bg[2] = c.Blue;
    }
    for (size_t i = 0; i < img.pixels.size(); i += 3) std::memcpy(&img.pixels[i], bg, 3);
    out->had_alpha = transparent >= 0;

    std::vector<GifPixelType> line(d.Width);
    // Interlaced frames arrive as rows 0, 8, 16, ..., then 4, 12, ..., 2, 6, ..., 1, 3, ...
    static constexpr int kStart[4] = {0, 4, 2, 1};
    static constexpr int kStep[4] = {8, 8, 4, 2};
    const int n_passes = d.Interlace ? 4 : 1;
    for (int pass = 0; pass < n_passes; ++pass) {
      const int start = d.Interlace ? kStart[pass] : 0;
      const int step = d.Interlace ? kStep[pass] : 1;
      for (int fy = start; fy < d.Height; fy += step) {
        if (ctx.Expired()) return ctx.DeadlineStatus("GIF");
        if (DGifGetLine(gif, line.data(), d.Width) == GIF_ERROR) {
          return DataLoss("corrupt or truncated GIF: " + GifError(gif->Error));
        }
        const int y = d.Top + fy;
        if (y < 0 || y >= img.height) continue;
        uint8_t* row = img.row(y);
        for (int fx = 0; fx < d.Width; ++fx) {
          const int x = d.Left + fx;
          if (x < 0 || x >= img.width) continue;
          const int idx = line[fx];
          if (idx < map->ColorCount) {
            const GifColorType& c = map->Colors[idx];
            row[3 * x] = c.Red;
            row[3 * x + 1] = c.Green;
            row[3 * x + 2] = c.Blue;
          } else {
            row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = 0;
          }
        }
      }
    }
    return Status::Ok();
  }
}

}  // namespace

Status DecodeGif(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out) {
  GifSource src;
  src.bytes = bytes;
  int error = 0;
  GifFileType* gif = DGifOpen(&src, OnRead, &error);
  if (gif == nullptr) return DataLoss("corrupt or truncated GIF: " + GifError(error));
  out->stored_width = gif->SWidth;
  out->stored_height = gif->SHeight;
  Status status = ctx.CheckSize(gif->SWidth, gif->SHeight, "GIF");
  if (status.ok()) status = ReadFirstFrame(gif, ctx, out);
  if (!status.ok()) out->image = RgbImage();
  DGifCloseFile(gif, &error);
  return status;
}

}  // namespace md::image_internal
