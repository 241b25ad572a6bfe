// A fixed set of worker threads that run one parallel loop at a time. The calling
// thread takes part, so a pool of N threads starts N-1 workers. Nothing is allocated
// per loop: work is split by an atomic counter over [0, n) in chunks. Between loops
// workers spin briefly before sleeping, so the ~200 loops of a decode step do not each
// pay a thread wake-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace md {

class ThreadPool {
 public:
  // n_threads <= 0: one per hardware thread.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_index) over disjoint chunks covering [0, n), each at most
  // `grain` long, spread over all threads; returns when all are done. thread_index is in
  // [0, size()) and unique among concurrently running calls (for per-thread scratch).
  using RangeFn = std::function<void(int64_t begin, int64_t end, int thread)>;
  void ParallelFor(int64_t n, int64_t grain, const RangeFn& fn);

  // Same, with chunks that shrink as the work runs out ("guided"): each claim takes
  // about 1/(2 * size()) of what is left, at least `min_grain`. Early chunks are long
  // runs over consecutive indices; the last ones are small, so threads finish together.
  void ParallelForGuided(int64_t n, int64_t min_grain, const RangeFn& fn);

 private:
  void WorkerLoop(int index);
  void RunChunks(int thread);
  void Run(int64_t n, int64_t grain, bool guided, const RangeFn& fn);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers still running the current job
  std::atomic<bool> stop_{false};

  // The current job.
  const RangeFn* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t grain_ = 1;
  bool guided_ = false;
  std::atomic<int64_t> next_{0};
};

}  // namespace md
