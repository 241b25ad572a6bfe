// WebP through libwebp: still pictures (lossy, lossless, with or without alpha) with the
// incremental decoder, fed in slices so the time limit is checked as it goes; animated
// files through libwebpdemux's WebPAnimDecoder, first frame only.
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <cstring>

#include "formats/image_decode_internal.h"

namespace md::image_internal {
namespace {

constexpr size_t kSlice = 64 << 10;

std::string WebpStatusText(VP8StatusCode code) {
  switch (code) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "file is truncated";
    default: return "error " + std::to_string(static_cast<int>(code));
  }
}

// The EXIF chunk of an extended (VP8X) file whose header flags one.
int WebpExifOrientation(std::span<const uint8_t> bytes) {
  if (bytes.size() < 30 || std::memcmp(bytes.data() + 12, "VP8X", 4) != 0) return 1;
  if ((bytes[20] & 0x08) == 0) return 1;  // no EXIF flag
  WebPData data = {bytes.data(), bytes.size()};
  WebPDemuxer* demux = WebPDemux(&data);
  if (demux == nullptr) return 1;
  int orientation = 1;
  WebPChunkIterator it;
  if (WebPDemuxGetChunk(demux, "EXIF", 1, &it)) {
    orientation = ParseExifOrientation(std::span<const uint8_t>(it.chunk.bytes, it.chunk.size));
    WebPDemuxReleaseChunkIterator(&it);
  }
  WebPDemuxDelete(demux);
  return orientation;
}

Status DecodeAnimated(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out) {
  WebPData data = {bytes.data(), bytes.size()};
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) return Internal("libwebp version mismatch");
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  WebPAnimDecoder* dec = WebPAnimDecoderNew(&data, &options);
  if (dec == nullptr) return DataLoss("corrupt or truncated animated WebP");
  WebPAnimInfo info;
  Status status;
  uint8_t* frame = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetInfo(dec, &info)) {
    status = DataLoss("corrupt animated WebP: no canvas information");
  } else if (status = ctx.CheckSize(info.canvas_width, info.canvas_height, "WebP"); !status.ok()) {
  } else if (!WebPAnimDecoderGetNext(dec, &frame, &timestamp)) {
    status = DataLoss("corrupt or truncated animated WebP: the first frame does not decode");
  } else {
    out->animated = info.frame_count > 1;
    out->image = RgbImage(static_cast<int>(info.canvas_width), static_cast<int>(info.canvas_height));
    const size_t n = static_cast<size_t>(info.canvas_width) * info.canvas_height;
    uint8_t* d = out->image.pixels.data();
    for (size_t i = 0; i < n; ++i) std::memcpy(d + 3 * i, frame + 4 * i, 3);
  }
  WebPAnimDecoderDelete(dec);
  return status;
}

}  // namespace

Status DecodeWebp(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out) {
  WebPBitstreamFeatures features;
  const VP8StatusCode fs = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (fs != VP8_STATUS_OK) return DataLoss("corrupt or truncated WebP: " + WebpStatusText(fs));
  out->stored_width = features.width;
  out->stored_height = features.height;
  MD_RETURN_IF_ERROR(ctx.CheckSize(features.width, features.height, "WebP"));
  out->had_alpha = features.has_alpha != 0;
  out->orientation = WebpExifOrientation(bytes);
  if (features.has_animation) return DecodeAnimated(bytes, ctx, out);

  RgbImage image(features.width, features.height);
  WebPDecBuffer buffer;
  if (!WebPInitDecBuffer(&buffer)) return Internal("libwebp version mismatch");
  buffer.colorspace = MODE_RGB;  // alpha, if any, is dropped
  buffer.is_external_memory = 1;
  buffer.u.RGBA.rgba = image.pixels.data();
  buffer.u.RGBA.stride = features.width * 3;
  buffer.u.RGBA.size = image.pixels.size();
  WebPIDecoder* idec = WebPINewDecoder(&buffer);
  if (idec == nullptr) return ResourceExhausted("cannot start the WebP decoder");
  Status status;
  VP8StatusCode st = VP8_STATUS_NOT_ENOUGH_DATA;
  for (size_t pos = 0; pos < bytes.size();) {
    if (ctx.Expired()) {
      status = ctx.DeadlineStatus("WebP");
      break;
    }
    const size_t n = std::min(kSlice, bytes.size() - pos);
    st = WebPIAppend(idec, bytes.data() + pos, n);
    pos += n;
    if (st != VP8_STATUS_SUSPENDED) break;
  }
  WebPIDelete(idec);
  WebPFreeDecBuffer(&buffer);
  if (!status.ok()) return status;
  if (st == VP8_STATUS_SUSPENDED) return DataLoss("truncated WebP: the picture data ends early");
  if (st != VP8_STATUS_OK) return DataLoss("corrupt WebP: " + WebpStatusText(st));
  out->image = std::move(image);
  return Status::Ok();
}

}  // namespace md::image_internal
