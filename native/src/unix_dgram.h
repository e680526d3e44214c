#pragma once

#include <napi.h>

namespace nestor {

// unixDgramOpen() -> fd: an unbound, non-blocking AF_UNIX datagram socket (close-on-exec).
Napi::Value UnixDgramOpen(const Napi::CallbackInfo& info);
// unixDgramSend(fd, path, buffer) -> bytes sent, or -1 when the receiver's queue is full
// (EAGAIN): a logger must never wait for syslog.
Napi::Value UnixDgramSend(const Napi::CallbackInfo& info);
// unixDgramClose(fd)
Napi::Value UnixDgramClose(const Napi::CallbackInfo& info);

}  // namespace nestor
