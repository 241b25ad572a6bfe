// Picture pipeline benchmark: decode + preprocess time and peak memory for the sizes
// users upload (a 4032x3024 phone JPEG, a 4000x3000 PNG, a 2000x2000 WebP), made here
// with the libraries' encoders. One thread (the pipeline is single-threaded).
// Target (issue 5): the JPEG through decode + GGUF preprocessing in <= 60 ms.
//
// Usage: image_bench [repetitions]   (default 10; the median is printed)
#include <sys/resource.h>
#include <sys/wait.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "../tests/unit/image_test_util.h"
#include "formats/image_decode.h"
#include "model/image_preprocess.h"
#include "model/image_tiling.h"

namespace md {
namespace {

using test::Bytes;

// A photo-like picture: smooth light falloff, edges and fine texture (noise), so the
// codecs see realistic entropy rather than a flat ramp.
RgbImage PhotoLike(int w, int h) {
  RgbImage img(w, h);
  uint32_t seed = 12345;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      seed = seed * 1664525u + 1013904223u;
      const int noise = static_cast<int>((seed >> 24) % 25) - 12;
      const int band = ((x / 97) + (y / 61)) % 3 * 30;
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(std::clamp(60 + x * 150 / w + band + noise, 0, 255));
      p[1] = static_cast<uint8_t>(std::clamp(40 + y * 160 / h + noise, 0, 255));
      p[2] = static_cast<uint8_t>(std::clamp(120 - band + (x + y) * 60 / (w + h) + noise / 2, 0, 255));
    }
  }
  return img;
}

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double CpuMs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

// Median wall time; *cpu gets the median CPU time (user + system), which a machine shared
// with other jobs disturbs less.
double MedianMs(int reps, const std::function<void()>& fn, double* cpu = nullptr) {
  std::vector<double> t, c;
  for (int i = 0; i < reps; ++i) {
    const double t0 = NowMs(), c0 = CpuMs();
    fn();
    t.push_back(NowMs() - t0);
    c.push_back(CpuMs() - c0);
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  if (cpu != nullptr) *cpu = c[c.size() / 2];
  return t[t.size() / 2];
}

long StatusKib(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long v = -1;
  const size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, n) == 0) v = std::atol(line + n + 1);
  }
  std::fclose(f);
  return v;
}

// Peak resident memory added by running `fn` once: in a child process, the kernel's
// high-water mark is reset (clear_refs 5) just before, and read back after.
double PeakExtraMiB(const std::function<void()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    malloc_trim(0);  // freed heap pages inherited from the parent would hide new ones
    const long base = StatusKib("VmRSS:");
    if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
    fn();
    const long peak = StatusKib("VmHWM:") - base;
    (void)!write(fds[1], &peak, sizeof peak);
    _exit(0);
  }
  close(fds[1]);
  long peak = -1024;
  (void)!read(fds[0], &peak, sizeof peak);
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return peak / 1024.0;
}

// libjpeg-turbo alone at scale m/8 (no resize, no checks): the floor our JPEG path
// stands on. At 1/8 almost all of it is entropy (Huffman) decoding.
void LibjpegOnly(const Bytes& bytes, int m, int reps) {
  double cpu = 0;
  const double wall = MedianMs(reps, [&] {
    jpeg_decompress_struct c;
    jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, bytes.data(), bytes.size());
    jpeg_read_header(&c, TRUE);
    c.scale_num = m;
    c.scale_denom = 8;
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    std::vector<uint8_t> row(static_cast<size_t>(c.output_width) * 3);
    JSAMPROW r = row.data();
    while (c.output_scanline < c.output_height) jpeg_read_scanlines(&c, &r, 1);
    jpeg_abort_decompress(&c);
    jpeg_destroy_decompress(&c);
  }, &cpu);
  std::printf("    libjpeg-turbo alone at %d/8  %6.1f / %6.1f\n", m, wall, cpu);
}

void Run(const char* name, const Bytes& bytes, int reps) {
  const ImageDecodeOptions options;  // defaults: max_image_size 1280
  StatusOr<DecodedImage> probe = DecodeImage(bytes, options);
  if (!probe.ok()) {
    std::printf("%s: decode failed: %s\n", name, probe.status().ToString().c_str());
    return;
  }
  const RgbImage& img = probe->image;
  double c_decode, c_gguf, c_official, c_total_gguf, c_total_official;
  const double decode = MedianMs(reps, [&] { (void)DecodeImage(bytes, options); }, &c_decode);
  const double gguf_only = MedianMs(reps, [&] { (void)PreprocessForGguf(img); }, &c_gguf);
  const double official_only = MedianMs(reps, [&] { (void)PreprocessForOfficial(img); }, &c_official);
  const double total_gguf =
      MedianMs(reps, [&] { (void)PreprocessForGguf(DecodeImage(bytes, options)->image); }, &c_total_gguf);
  const double total_official =
      MedianMs(reps, [&] { (void)PreprocessForOfficial(DecodeImage(bytes, options)->image); }, &c_total_official);
  const double mem_gguf = PeakExtraMiB([&] { (void)PreprocessForGguf(DecodeImage(bytes, options)->image); });
  const double mem_official = PeakExtraMiB([&] { (void)PreprocessForOfficial(DecodeImage(bytes, options)->image); });
  std::printf(
      "%-20s %5.2f MB  %dx%d -> %dx%d (jpeg scale %d/8)   [wall ms / cpu ms]\n"
      "    decode            %6.1f / %6.1f\n"
      "    gguf prep         %6.1f / %6.1f\n"
      "    official prep     %6.1f / %6.1f\n"
      "    decode+gguf       %6.1f / %6.1f   peak +%.0f MiB\n"
      "    decode+official   %6.1f / %6.1f   peak +%.0f MiB\n",
      name, bytes.size() / 1e6, probe->stored_width, probe->stored_height, img.width, img.height,
      probe->jpeg_scale_num, decode, c_decode, gguf_only, c_gguf, official_only, c_official, total_gguf,
      c_total_gguf, mem_gguf, total_official, c_total_official, mem_official);
}

}  // namespace
}  // namespace md

int main(int argc, char** argv) {
  using namespace md;
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  std::printf("image pipeline benchmark, %d repetitions (median), one thread, max_image_size 1280\n", reps);
  const RgbImage photo = PhotoLike(4032, 3024);
  test::JpegSpec q90;
  q90.quality = 90;
  const Bytes jpeg = test::EncodeJpeg(photo, q90);
  Run("JPEG 4032x3024 q90", jpeg, reps);
  LibjpegOnly(jpeg, 4, reps);
  LibjpegOnly(jpeg, 1, reps);
  Run("PNG 4000x3000", test::EncodePngRgb(PhotoLike(4000, 3000)), reps);
  Run("WebP 2000x2000 q80", test::EncodeWebpLossy(PhotoLike(2000, 2000), 80), reps);
  return 0;
}
