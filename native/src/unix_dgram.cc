// Datagrams to a local unix socket (the syslog socket, /dev/log): Node.js has no AF_UNIX
// datagram sockets of its own.
#include "unix_dgram.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"

namespace nestor {

Napi::Value UnixDgramOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  return Napi::Number::New(env, fd);
}

Napi::Value UnixDgramSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsBuffer())
    throw ArgError(env, "unixDgramSend(fd, path, buffer)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  auto buf = info[2].As<Napi::Buffer<uint8_t>>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    throw ArgError(env, "unix socket path is empty or longer than " +
                            std::to_string(sizeof(addr.sun_path) - 1) + " bytes: " + path);
  std::memcpy(addr.sun_path, path.data(), path.size());
  ssize_t n;
  do {
    n = sendto(fd, buf.Data(), buf.Length(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
               sizeof(addr));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throw ErrnoError(env, errno, "sendto", path.c_str());
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value UnixDgramClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw ArgError(env, "unixDgramClose(fd)");
  close(info[0].As<Napi::Number>().Int32Value());
  return env.Undefined();
}

}  // namespace nestor
