#include "ops/thread_pool.h"

#include <algorithm>

#include "common/cpu_info.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define MD_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define MD_CPU_RELAX() asm volatile("yield")
#else
#define MD_CPU_RELAX() \
  do {                 \
  } while (0)
#endif

namespace md {

namespace {
// About 50-100 microseconds of polling before sleeping.
constexpr int kSpinIterations = 2000;
}  // namespace

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads > 0 ? n_threads : HardwareThreads()) {
  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunChunks(int thread) {
  if (!guided_) {
    for (;;) {
      const int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
      if (begin >= n_) break;
      (*fn_)(begin, std::min(n_, begin + grain_), thread);
    }
    return;
  }
  int64_t begin = next_.load(std::memory_order_relaxed);
  for (;;) {
    if (begin >= n_) break;
    const int64_t size = std::max(grain_, (n_ - begin) / (2 * n_threads_));
    const int64_t end = std::min(n_, begin + size);
    if (next_.compare_exchange_weak(begin, end, std::memory_order_relaxed)) {
      (*fn_)(begin, end, thread);
      begin = next_.load(std::memory_order_relaxed);
    }
  }
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    bool have = false;
    for (int i = 0; i < kSpinIterations; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen ||
          stop_.load(std::memory_order_relaxed)) {
        have = true;
        break;
      }
      MD_CPU_RELAX();
    }
    if (!have) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] {
        return stop_.load() || generation_.load(std::memory_order_acquire) != seen;
      });
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    RunChunks(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, const RangeFn& fn) {
  Run(n, grain, false, fn);
}

void ThreadPool::ParallelForGuided(int64_t n, int64_t min_grain, const RangeFn& fn) {
  Run(n, min_grain, true, fn);
}

void ThreadPool::Run(int64_t n, int64_t grain, bool guided, const RangeFn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = grain;
  guided_ = guided;
  next_.store(0, std::memory_order_relaxed);
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // Under the lock so a worker about to sleep cannot miss the new generation.
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  RunChunks(0);
  for (int i = 0; i < kSpinIterations; ++i) {
    if (pending_.load(std::memory_order_acquire) == 0) break;
    MD_CPU_RELAX();
  }
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }
  fn_ = nullptr;
}

}  // namespace md
