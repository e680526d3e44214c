#include "udp_socket.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"

namespace nestor {

namespace {

// Room for one IP_PKTINFO or IPV6_PKTINFO message and anything else the kernel adds.
constexpr size_t kControlSize = 128;

bool IsLinkScoped(const in6_addr& a) {
  return IN6_IS_ADDR_LINKLOCAL(&a) || IN6_IS_ADDR_MC_LINKLOCAL(&a) ||
         IN6_IS_ADDR_MC_NODELOCAL(&a);
}

unsigned ParseScope(const std::string& scope) {
  char* end = nullptr;
  unsigned long n = std::strtoul(scope.c_str(), &end, 10);
  if (end != scope.c_str() && *end == '\0') return static_cast<unsigned>(n);
  return if_nametoindex(scope.c_str());
}

}  // namespace

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineSocket(env, "UdpSocket",
                      {
                          InstanceMethod("setReuseAddr", &UdpSocket::SetReuseAddr),
                          InstanceMethod("setBroadcast", &UdpSocket::SetBroadcast),
                          InstanceMethod("bindToDevice", &UdpSocket::BindToDevice),
                          InstanceMethod("discardInput", &UdpSocket::DiscardInput),
                          InstanceMethod("bind", &UdpSocket::Bind),
                          InstanceMethod("localAddress", &UdpSocket::LocalAddress),
                          InstanceMethod("joinGroup", &UdpSocket::JoinGroup),
                          InstanceMethod("send", &UdpSocket::Send),
                          InstanceMethod("sendBatch", &UdpSocket::SendBatch),
                      });
}

// new UdpSocket(family: 4 | 6, batch: number, slot: number)
UdpSocket::UdpSocket(const Napi::CallbackInfo& info)
    : BatchSocket<UdpSocket>(info, "NestorUdpSocket") {
  Napi::Env env = info.Env();
  int family = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (family != 4 && family != 6) throw ArgError(env, "family must be 4 or 6");
  SetBatch(env, info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0,
           info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0);
  family_ = family == 4 ? AF_INET : AF_INET6;

  fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ErrnoError(env, errno, "socket");
  try {
    if (family_ == AF_INET) {
      SetIntOption(env, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
    } else {
      SetIntOption(env, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
      SetIntOption(env, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    }
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }

  WatchEnvCleanup();
  InitRing(slot_, kControlSize, true);
}

void UdpSocket::SetIntOption(Napi::Env env, int level, int name, int value, const char* what) {
  if (setsockopt(fd_, level, name, &value, sizeof value) != 0) {
    throw ErrnoError(env, errno, "setsockopt", what);
  }
}

Napi::Value UdpSocket::SetReuseAddr(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  SetIntOption(info.Env(), SOL_SOCKET, SO_REUSEADDR, info[0].ToBoolean() ? 1 : 0, "SO_REUSEADDR");
  return info.Env().Undefined();
}

Napi::Value UdpSocket::SetBroadcast(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  SetIntOption(info.Env(), SOL_SOCKET, SO_BROADCAST, info[0].ToBoolean() ? 1 : 0, "SO_BROADCAST");
  return info.Env().Undefined();
}

// The socket keeps its port (no ICMP port unreachable) but the kernel drops every datagram for
// it at once (a BPF filter that accepts nothing): queries are read from a packet socket instead.
Napi::Value UdpSocket::DiscardInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  sock_fprog prog{1, none};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    throw ErrnoError(env, errno, "setsockopt", "SO_ATTACH_FILTER");
  }
  // Whatever arrived before the filter: read and dropped.
  char byte;
  for (int i = 0; i < 1 << 16 && recv(fd_, &byte, 1, MSG_DONTWAIT) >= 0; i++) {
  }
  return env.Undefined();
}

// Needs CAP_NET_RAW; EPERM otherwise.
Napi::Value UdpSocket::BindToDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsString()) throw ArgError(env, "device name must be a string");
  std::string name = info[0].As<Napi::String>();
  if (name.size() >= IF_NAMESIZE) throw ArgError(env, "device name too long: " + name);
  if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                 static_cast<socklen_t>(name.size() + 1)) != 0) {
    throw ErrnoError(env, errno, "setsockopt", ("SO_BINDTODEVICE " + name).c_str());
  }
  return env.Undefined();
}

socklen_t UdpSocket::ParseAddress(Napi::Env env, const Napi::Value& value, int port,
                                  unsigned scope, sockaddr_storage* out) const {
  if (!value.IsString()) throw ArgError(env, "address must be a string");
  if (port < 0 || port > 65535) throw ArgError(env, "port must be 0..65535");
  std::string text = value.As<Napi::String>();
  std::memset(out, 0, sizeof *out);
  if (family_ == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, text.c_str(), &sin->sin_addr) != 1) {
      throw ArgError(env, "not an IPv4 address: " + text);
    }
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(port));
  size_t percent = text.find('%');
  if (percent != std::string::npos) {
    unsigned parsed = ParseScope(text.substr(percent + 1));
    if (parsed == 0) throw ArgError(env, "unknown scope in address: " + text);
    scope = parsed;
    text.resize(percent);
  }
  if (inet_pton(AF_INET6, text.c_str(), &sin6->sin6_addr) != 1) {
    throw ArgError(env, "not an IPv6 address: " + text);
  }
  if (IsLinkScoped(sin6->sin6_addr)) sin6->sin6_scope_id = scope;
  return sizeof(sockaddr_in6);
}

// bind(address: string, port: number)
Napi::Value UdpSocket::Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  int port = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  sockaddr_storage addr;
  socklen_t len = ParseAddress(env, info[0], port, 0, &addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    std::string where = info[0].As<Napi::String>().Utf8Value() + " port " + std::to_string(port);
    throw ErrnoError(env, errno, "bind", where.c_str());
  }
  return env.Undefined();
}

Napi::Value UdpSocket::LocalAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  sockaddr_storage addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw ErrnoError(env, errno, "getsockname");
  }
  char text[INET6_ADDRSTRLEN] = "";
  int port;
  if (addr.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    port = ntohs(sin->sin_port);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    port = ntohs(sin6->sin6_port);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("address", text);
  result.Set("port", port);
  return result;
}

// joinGroup(group: string, ifindex: number)
Napi::Value UdpSocket::JoinGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  unsigned ifindex = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  sockaddr_storage group;
  ParseAddress(env, info[0], 0, ifindex, &group);
  std::string what = "join " + info[0].As<Napi::String>().Utf8Value() + " on interface " +
                     std::to_string(ifindex);
  if (family_ == AF_INET6) {
    ipv6_mreq mreq;
    mreq.ipv6mr_multiaddr = reinterpret_cast<sockaddr_in6*>(&group)->sin6_addr;
    mreq.ipv6mr_interface = ifindex;
    if (setsockopt(fd_, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
      throw ErrnoError(env, errno, "setsockopt", what.c_str());
    }
  } else {
    ip_mreqn mreq;
    std::memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr = reinterpret_cast<sockaddr_in*>(&group)->sin_addr;
    mreq.imr_ifindex = static_cast<int>(ifindex);
    if (setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
      throw ErrnoError(env, errno, "setsockopt", what.c_str());
    }
  }
  return env.Undefined();
}

// One recvmmsg() of up to batch_ datagrams, then one call into JavaScript.
int UdpSocket::Drain() {
  int n = Receive();
  if (n <= 0) return n;
  size_t total = 0;
  for (int i = 0; i < n; i++) total += msgs_[i].msg_len;
  bool delivered = DeliverBatch(total, n, [this, n](uint8_t* out, int32_t* meta) {
    size_t offset = 0;
    for (int i = 0; i < n; i++) {
      msghdr& h = msgs_[i].msg_hdr;
      size_t len = msgs_[i].msg_len;
      std::memcpy(out + offset, iovs_[i].iov_base, len);
      int32_t* m = meta + static_cast<size_t>(i) * kMetaWords;
      std::memset(m, 0, kMetaWords * sizeof(int32_t));
      m[kMetaOffset] = static_cast<int32_t>(offset);
      m[kMetaLength] = static_cast<int32_t>(len);
      int flags = kFlagNoPktinfo;
      if (h.msg_flags & MSG_TRUNC) flags |= kFlagTruncated;
      auto* src = reinterpret_cast<uint8_t*>(m + kMetaSrcAddr);
      auto* dst = reinterpret_cast<uint8_t*>(m + kMetaDstAddr);
      if (family_ == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&names_[i]);
        m[kMetaSrcPort] = ntohs(sin->sin_port);
        std::memcpy(src, &sin->sin_addr, 4);
      } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&names_[i]);
        m[kMetaSrcPort] = ntohs(sin6->sin6_port);
        m[kMetaScope] = static_cast<int32_t>(sin6->sin6_scope_id);
        std::memcpy(src, &sin6->sin6_addr, 16);
      }
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          m[kMetaIfindex] = pi.ipi_ifindex;
          std::memcpy(dst, &pi.ipi_addr, 4);
          flags &= ~kFlagNoPktinfo;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          m[kMetaIfindex] = static_cast<int32_t>(pi.ipi6_ifindex);
          std::memcpy(dst, &pi.ipi6_addr, 16);
          flags &= ~kFlagNoPktinfo;
        }
      }
      m[kMetaFlags] = flags;
      offset += len;
      // The kernel shortened these; the next recvmmsg() needs them whole again.
      ResetSlot(i);
    }
  });
  return delivered ? n : -1;
}

size_t UdpSocket::BuildPktinfo(Napi::Env env, const Napi::Value& src, unsigned ifindex,
                               char* control) const {
  bool hasSrc = src.IsString() && !src.As<Napi::String>().Utf8Value().empty();
  if (!hasSrc && ifindex == 0) return 0;
  sockaddr_storage source;
  if (hasSrc) {
    ParseAddress(env, src, 0, ifindex, &source);
  } else {
    std::memset(&source, 0, sizeof source);
  }
  msghdr h;
  std::memset(&h, 0, sizeof h);
  h.msg_control = control;
  if (family_ == AF_INET) {
    h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    std::memset(control, 0, h.msg_controllen);
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi;
    std::memset(&pi, 0, sizeof pi);
    pi.ipi_ifindex = static_cast<int>(ifindex);
    pi.ipi_spec_dst = reinterpret_cast<sockaddr_in*>(&source)->sin_addr;
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    std::memset(control, 0, h.msg_controllen);
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi;
    std::memset(&pi, 0, sizeof pi);
    pi.ipi6_ifindex = ifindex;
    pi.ipi6_addr = reinterpret_cast<sockaddr_in6*>(&source)->sin6_addr;
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  return h.msg_controllen;
}

// send(data: Uint8Array, dstAddr: string, dstPort: number, srcAddr?: string, ifindex?: number)
// Returns the bytes sent; throws with the errno name.
Napi::Value UdpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsTypedArray()) throw ArgError(env, "data must be a Uint8Array");
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  unsigned ifindex = info[4].IsNumber() ? info[4].As<Napi::Number>().Uint32Value() : 0;
  int port = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  sockaddr_storage dst;
  socklen_t dstLen = ParseAddress(env, info[1], port, ifindex, &dst);
  char control[kControlSize];
  iovec iov{data.Data(), data.ByteLength()};
  msghdr h;
  std::memset(&h, 0, sizeof h);
  h.msg_name = &dst;
  h.msg_namelen = dstLen;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  size_t controlLen = BuildPktinfo(env, info[3], ifindex, control);
  if (controlLen > 0) {
    h.msg_control = control;
    h.msg_controllen = controlLen;
  }
  ssize_t sent;
  int retries = 0;
  do {
    sent = sendmsg(fd_, &h, 0);
  } while (sent < 0 && errno == EINTR && ++retries < kMaxEintrRetries);
  if (sent < 0) {
    std::string where = info[1].As<Napi::String>().Utf8Value() + " port " + std::to_string(port);
    throw ErrnoError(env, errno, "sendmsg", where.c_str());
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

// sendBatch(packets: { data, dstAddr, dstPort, srcAddr?, ifindex? }[])
// Sends with sendmmsg(); returns null when every datagram left, otherwise the failures as
// [{ index, error }] (the others were still sent). Invalid arguments throw before sending.
Napi::Value UdpSocket::SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsArray()) throw ArgError(env, "packets must be an array");
  Napi::Array packets = info[0].As<Napi::Array>();
  uint32_t n = packets.Length();
  if (n == 0) return env.Null();
  outMsgs_.resize(n);
  outIovs_.resize(n);
  outNames_.resize(n);
  outControls_.resize(static_cast<size_t>(n) * kControlSize);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item = packets.Get(i);
    if (!item.IsObject()) throw ArgError(env, "packet " + std::to_string(i) + " is not an object");
    Napi::Object p = item.As<Napi::Object>();
    Napi::Value data = p.Get("data");
    if (!data.IsTypedArray()) {
      throw ArgError(env, "packet " + std::to_string(i) + ": data must be a Uint8Array");
    }
    Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
    Napi::Value ifv = p.Get("ifindex");
    unsigned ifindex = ifv.IsNumber() ? ifv.As<Napi::Number>().Uint32Value() : 0;
    Napi::Value portv = p.Get("dstPort");
    int port = portv.IsNumber() ? portv.As<Napi::Number>().Int32Value() : -1;
    msghdr& h = outMsgs_[i].msg_hdr;
    std::memset(&h, 0, sizeof h);
    h.msg_namelen = ParseAddress(env, p.Get("dstAddr"), port, ifindex, &outNames_[i]);
    h.msg_name = &outNames_[i];
    outIovs_[i].iov_base = bytes.Data();
    outIovs_[i].iov_len = bytes.ByteLength();
    h.msg_iov = &outIovs_[i];
    h.msg_iovlen = 1;
    char* control = outControls_.data() + static_cast<size_t>(i) * kControlSize;
    size_t controlLen = BuildPktinfo(env, p.Get("srcAddr"), ifindex, control);
    if (controlLen > 0) {
      h.msg_control = control;
      h.msg_controllen = controlLen;
    }
  }
  Napi::Array failures;
  bool failed = false;
  uint32_t done = 0;
  int retries = 0;
  while (done < n) {
    int r = sendmmsg(fd_, &outMsgs_[done], n - done, 0);
    if (r < 0) {
      if (errno == EINTR && ++retries < kMaxEintrRetries) continue;
      // The datagram at `done` failed: report it and go on with the rest.
      if (!failed) {
        failures = Napi::Array::New(env);
        failed = true;
      }
      Napi::Object f = Napi::Object::New(env);
      f.Set("index", done);
      f.Set("error", ErrnoError(env, errno, "sendmmsg").Value());
      failures.Set(failures.Length(), f);
      done++;
      continue;
    }
    done += static_cast<uint32_t>(r);
  }
  if (failed) return failures;
  return env.Null();
}

}  // namespace nestor
