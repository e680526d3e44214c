#pragma once

#include <linux/if_packet.h>
#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

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
  // sendBatch(packets: { data, ifindex, hwaddr, srcAddr, dstAddr, srcPort, dstPort }[])
  // -> null, or the failures [{ index, error }] (the others were sent), with one sendmmsg().
  Napi::Value SendBatch(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int fd_ = -1;
  // Reused by SendBatch: the IP datagrams back to back, and one message per datagram.
  std::vector<uint8_t> outFrames_;
  std::vector<size_t> outStarts_;
  std::vector<sockaddr_ll> outNames_;
  std::vector<iovec> outIovs_;
  std::vector<mmsghdr> outMsgs_;
};

}  // namespace nestor
