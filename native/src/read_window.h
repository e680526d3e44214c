#pragma once

#include <uv.h>

namespace nestor {

// The receive window of a socket: after a readable event has been read, the socket stops
// watching its descriptor and reads again from a timer `ms` milliseconds later, and goes on
// reading on that timer while datagrams keep coming; the first timed read that finds nothing
// goes back to waiting on the descriptor. Under a steady load one wake-up, one recvmmsg() and
// one call into JavaScript take in every datagram of the last millisecond or two (and the
// server then answers them with one sendmmsg() and writes their leases with one write()),
// instead of all of that once per datagram. An idle socket costs nothing, and no datagram waits
// more than the window (DHCP clients wait seconds). ms = 0: off, every readable event is read
// at once.
class ReadWindow {
 public:
  // Reads one batch for the owner: the datagrams read (0 when none was waiting), or -1 when the
  // owner stopped reading (closed, stopped, failed).
  using Read = int (*)(void* owner);

  ReadWindow(void* owner, Read read) : owner_(owner), read_(read) {}
  ReadWindow(const ReadWindow&) = delete;
  ReadWindow& operator=(const ReadWindow&) = delete;

  void SetMs(unsigned ms) { ms_ = ms; }

  // After a readable event was read: stop watching the descriptor and read again on the timer.
  // Does nothing when the window is off.
  void AfterReadable(uv_poll_t* poll, uv_poll_cb onPoll) {
    if (ms_ == 0 || poll == nullptr) return;
    if (timer_ == nullptr) {
      timer_ = new uv_timer_t;
      if (uv_timer_init(poll->loop, timer_) != 0) {
        delete timer_;
        timer_ = nullptr;
        return;  // no timer: read every event at once, as without a window
      }
      timer_->data = this;
      if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
    }
    poll_ = poll;
    onPoll_ = onPoll;
    uv_poll_stop(poll);
    uv_timer_start(timer_, &ReadWindow::OnTimer, ms_, 0);
  }

  // The owner stopped reading (or starts watching its descriptor again): no timed read.
  void Cancel() {
    if (timer_ != nullptr) uv_timer_stop(timer_);
  }

  void SetRef(bool referenced) {
    referenced_ = referenced;
    if (timer_ == nullptr) return;
    if (referenced) uv_ref(reinterpret_cast<uv_handle_t*>(timer_));
    else uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
  }

  // Before the owner goes away.
  void Close() {
    if (timer_ == nullptr) return;
    uv_timer_stop(timer_);
    timer_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }

 private:
  static void OnTimer(uv_timer_t* timer) {
    auto* self = static_cast<ReadWindow*>(timer->data);
    if (self == nullptr) return;
    int n = self->read_(self->owner_);
    if (n < 0 || self->timer_ == nullptr) return;
    if (n > 0) {
      uv_timer_start(self->timer_, &ReadWindow::OnTimer, self->ms_, 0);
    } else if (self->poll_ != nullptr) {
      uv_poll_start(self->poll_, UV_READABLE, self->onPoll_);
    }
  }

  void* owner_;
  Read read_;
  unsigned ms_ = 0;
  bool referenced_ = true;
  uv_timer_t* timer_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  uv_poll_cb onPoll_ = nullptr;
};

}  // namespace nestor
