#pragma once

#include <napi.h>

namespace nestor {

// Sends IPv4/UDP datagrams through an AF_PACKET socket to a given link-layer address, without
// ARP: how a DHCPv4 server unicasts a reply to a client that has no address yet (RFC 2131 4.1,
// Kea's raw socket type). Needs CAP_NET_RAW. Sends only; it never receives.
class RawSender4 : public Napi::ObjectWrap<RawSender4> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit RawSender4(const Napi::CallbackInfo& info);
  ~RawSender4() override;

 private:
  // send(data, ifindex, dstMac, srcAddr, dstAddr, srcPort, dstPort) -> bytes of the IP datagram
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int fd_ = -1;
};

}  // namespace nestor
