// The bounded queue in front of the engine and the ONE worker thread that runs engine
// calls (an Engine computes one thing at a time with all its threads). When `capacity`
// jobs are waiting or running, Submit refuses: the server answers 503 + Retry-After.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/status.h"

namespace md::server {

class WorkQueue {
 public:
  explicit WorkQueue(int capacity);
  ~WorkQueue();  // Stop()

  // Queues `job` to run on the worker. ResourceExhausted when full, Unavailable after
  // Stop(). Jobs run in arrival order; a job decides itself whether it was cancelled.
  Status Submit(std::function<void()> job);

  // Blocks until nothing is waiting or running, or `timeout` passes. True if idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

  // Refuses new jobs, runs those already queued, joins the worker.
  void Stop();

  int depth() const;  // waiting + running
  int capacity() const { return capacity_; }

 private:
  void Loop();

  const int capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived or stopping
  std::condition_variable idle_cv_;  // depth reached 0
  std::deque<std::function<void()>> jobs_;
  int running_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace md::server
