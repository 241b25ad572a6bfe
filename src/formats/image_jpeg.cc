// JPEG through libjpeg-turbo's libjpeg API. libjpeg reports fatal errors by calling
// error_exit, which by default exits the process: ours longjmps back here instead. Its
// warnings about damaged data (premature end of file, bad Huffman code, ...) would
// otherwise produce a half-gray picture, so they are errors too.
#include <csetjmp>
#include <cstdio>
#include <cstring>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>

#include <memory>

#include "formats/image_decode_internal.h"
#include "formats/image_resize.h"

namespace md::image_internal {
namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool timed_out;
};

[[noreturn]] void OnErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings that do not mean lost pixels: informational oddities of the file's metadata.
bool BenignWarning(int code) {
  switch (code) {
    case JWRN_ADOBE_XFORM:
    case JWRN_EXTRANEOUS_DATA:  // stray bytes between markers, common in camera files
    case JWRN_JFIF_MAJOR:
    case JWRN_BOGUS_ICC:
      return true;
    default:
      return false;
  }
}

void OnMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  if (BenignWarning(cinfo->err->msg_code)) {
    cinfo->err->num_warnings++;
    return;
  }
  OnErrorExit(cinfo);
}

struct JpegProgress {
  jpeg_progress_mgr mgr;
  const DecodeContext* ctx;
  JpegError* err;
};

// libjpeg calls this between passes and every few MCU rows, including inside
// jpeg_start_decompress while it reads all scans of a progressive file.
void OnProgress(j_common_ptr cinfo) {
  auto* p = reinterpret_cast<JpegProgress*>(cinfo->progress);
  if (p->ctx->Expired()) {
    p->err->timed_out = true;
    std::snprintf(p->err->message, sizeof(p->err->message), "time limit");
    std::longjmp(p->err->jump, 1);
  }
}

int ExifOrientationFromMarkers(jpeg_decompress_struct* cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      return ParseExifOrientation(std::span<const uint8_t>(m->data, m->data_length));
    }
  }
  return 1;
}

inline uint8_t Mul255(int a, int b) { return static_cast<uint8_t>((a * b + 127) / 255); }

// The libjpeg calls, separated so that nothing with a destructor lives in the frame that
// longjmp returns to except what the caller owns.
bool RunDecoder(jpeg_decompress_struct* cinfo, JpegError* err, JpegProgress* progress,
                std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out,
                Status* status, std::vector<uint8_t>* scratch,
                std::unique_ptr<AreaRowScaler>* scaler_slot) {
  if (setjmp(err->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(cinfo, TRUE);

  out->stored_width = static_cast<int>(cinfo->image_width);
  out->stored_height = static_cast<int>(cinfo->image_height);
  *status = ctx.CheckSize(cinfo->image_width, cinfo->image_height, "JPEG");
  if (!status->ok()) return true;
  out->orientation = ExifOrientationFromMarkers(cinfo);

  const J_COLOR_SPACE in_space = cinfo->jpeg_color_space;
  const bool cmyk = in_space == JCS_CMYK || in_space == JCS_YCCK;
  if (cmyk) {
    cinfo->out_color_space = JCS_CMYK;
  } else if (in_space == JCS_GRAYSCALE) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else if (cinfo->num_components == 3) {
    cinfo->out_color_space = JCS_RGB;
  } else {
    *status = Unsupported("JPEG with " + std::to_string(cinfo->num_components) +
                          " colour components is not supported");
    return true;
  }
  // DCT scaling: decode at the smallest of 1/8, 1/4, 1/2 that still covers
  // max_image_size (libjpeg-turbo has SIMD code for these; 3/8 and other M/8 scales run
  // plain C and were slower than 1/2 on a 12 MP photo).
  const int longest = std::max(out->stored_width, out->stored_height);
  if (ctx.max_image_size() > 0 && longest > ctx.max_image_size()) {
    int m = 1;
    while (m < 8 && (static_cast<int64_t>(longest) * m + 7) / 8 < ctx.max_image_size()) m *= 2;
    cinfo->scale_num = m;
    cinfo->scale_denom = 8;
    out->jpeg_scale_num = m;
  }
  cinfo->dct_method = JDCT_ISLOW;
  progress->mgr.progress_monitor = OnProgress;
  cinfo->progress = &progress->mgr;

  jpeg_start_decompress(cinfo);
  const int w = static_cast<int>(cinfo->output_width);
  const int h = static_cast<int>(cinfo->output_height);
  const int nc = cinfo->output_components;
  // When the DCT scale still leaves more than max_image_size, rows are area-averaged as
  // they are decoded, so the larger picture is never held whole.
  int target_w, target_h;
  FitLongestSide(out->stored_width, out->stored_height, ctx.max_image_size(), &target_w, &target_h);
  if (target_w > w || target_h > h) target_w = w, target_h = h;
  std::unique_ptr<AreaRowScaler>& scaler = *scaler_slot;
  if (target_w != w || target_h != h) {
    scaler = std::make_unique<AreaRowScaler>(w, h, target_h);
    scratch->resize(static_cast<size_t>(w) * (3 + nc));
  } else {
    out->image = RgbImage(w, h);
    scratch->resize(static_cast<size_t>(w) * nc);
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    if (ctx.Expired()) {
      *status = ctx.DeadlineStatus("JPEG");
      return true;
    }
    uint8_t* dst = scaler ? scratch->data() + static_cast<size_t>(w) * nc
                          : out->image.row(static_cast<int>(cinfo->output_scanline));
    JSAMPROW row = nc == 3 ? dst : scratch->data();
    jpeg_read_scanlines(cinfo, &row, 1);
    if (nc == 1) {
      for (int x = 0; x < w; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
    } else if (nc == 4) {
      // Adobe files store CMYK inverted (what libjpeg hands back as is); R = (1-C)(1-K).
      const bool inverted = cinfo->saw_Adobe_marker;
      for (int x = 0; x < w; ++x) {
        int c = row[4 * x], m = row[4 * x + 1], y = row[4 * x + 2], k = row[4 * x + 3];
        if (!inverted) {
          c = 255 - c;
          m = 255 - m;
          y = 255 - y;
          k = 255 - k;
        }
        dst[3 * x] = Mul255(c, k);
        dst[3 * x + 1] = Mul255(m, k);
        dst[3 * x + 2] = Mul255(y, k);
      }
    }
    if (scaler) scaler->AddRow(dst);
  }
  if (scaler) out->image = scaler->Finish(target_w);
  // jpeg_finish_decompress is not called: every scanline is in, and a file that only
  // lacks its final EOI marker is still a complete picture.
  return true;
}

}  // namespace

Status DecodeJpeg(std::span<const uint8_t> bytes, const DecodeContext& ctx, FormatResult* out) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof(cinfo));
  JpegError err;
  std::memset(&err, 0, sizeof(err));
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = OnErrorExit;
  err.mgr.emit_message = OnMessage;
  JpegProgress progress;
  std::memset(&progress, 0, sizeof(progress));
  progress.ctx = &ctx;
  progress.err = &err;
  Status status;
  std::vector<uint8_t> scratch;
  // Owned here, outside the frame longjmp returns to, so an error frees it.
  std::unique_ptr<AreaRowScaler> scaler;
  const bool finished = RunDecoder(&cinfo, &err, &progress, bytes, ctx, out, &status, &scratch, &scaler);
  jpeg_destroy_decompress(&cinfo);
  if (!finished) {
    out->image = RgbImage();
    if (err.timed_out) return ctx.DeadlineStatus("JPEG");
    return DataLoss(std::string("corrupt or truncated JPEG: ") + err.message);
  }
  if (!status.ok()) out->image = RgbImage();
  return status;
}

}  // namespace md::image_internal
