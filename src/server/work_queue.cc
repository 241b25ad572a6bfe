#include "server/work_queue.h"

namespace md::server {

WorkQueue::WorkQueue(int capacity) : capacity_(capacity) {
  worker_ = std::thread([this] { Loop(); });
}

WorkQueue::~WorkQueue() { Stop(); }

Status WorkQueue::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("the server is shutting down");
    if (static_cast<int>(jobs_.size()) + running_ >= capacity_) {
      return ResourceExhausted("the server is busy: " + std::to_string(capacity_) +
                               " requests are already queued; retry later");
    }
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return Status::Ok();
}

bool WorkQueue::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return jobs_.empty() && running_ == 0; });
}

void WorkQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

int WorkQueue::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(jobs_.size()) + running_;
}

void WorkQueue::Loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    job();
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
    }
  }
}

}  // namespace md::server
