#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include "batch_socket.h"

#include <vector>

namespace nestor {

// A non-blocking UDP socket (batch_socket.h: read on Node's own loop, up to `batch` datagrams
// with one recvmmsg() handed to JavaScript in one call) that tells each datagram's arrival
// interface and destination (IP_PKTINFO, IPV6_RECVPKTINFO) and sends with a chosen source.
class UdpSocket : public BatchSocket<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UdpSocket(const Napi::CallbackInfo& info);

 private:
  Napi::Value SetReuseAddr(const Napi::CallbackInfo& info);
  Napi::Value SetBroadcast(const Napi::CallbackInfo& info);
  Napi::Value BindToDevice(const Napi::CallbackInfo& info);
  Napi::Value DiscardInput(const Napi::CallbackInfo& info);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);

  int Drain() override;
  void SetIntOption(Napi::Env env, int level, int name, int value, const char* what);
  // Fills addr from a textual address; returns its length. Throws on a bad address.
  socklen_t ParseAddress(Napi::Env env, const Napi::Value& text, int port, unsigned scope,
                         sockaddr_storage* addr) const;
  // Fills the control buffer of an outgoing message with the source address and/or interface.
  size_t BuildPktinfo(Napi::Env env, const Napi::Value& src, unsigned ifindex, char* control) const;

  int family_ = AF_INET;

  // Reused by SendBatch.
  std::vector<mmsghdr> outMsgs_;
  std::vector<iovec> outIovs_;
  std::vector<sockaddr_storage> outNames_;
  std::vector<char> outControls_;
};

}  // namespace nestor
