#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include "batch_socket.h"

#include <vector>

namespace nestor {

// Metadata of a frame received by PacketSocket4, in the same kMetaWords slots as UdpSocket's
// (offset and length of the UDP payload, source port, ifindex, flags, source and destination
// addresses) and the destination port. In the data buffer each payload is followed by the frame's
// Ethernet destination and source addresses (12 bytes, flag kFlagLinkLayer).
constexpr int kMetaDstPort = 6;
constexpr int kFlagLinkLayer = 4;

// Receives IPv4/UDP datagrams for one port on one interface as link-layer frames (AF_PACKET,
// SOCK_RAW), Kea's "raw" socket type: a classic BPF filter keeps, in the kernel, only unfragmented
// IPv4/UDP frames to the port that came in for this host (unicast, broadcast, multicast), so the
// server learns each query's Ethernet source and destination. Readable events drain up to `batch`
// frames with one recvmmsg() and hand their UDP payloads to JavaScript in one call, as UdpSocket
// does (batch_socket.h). Frames with a bad IP header, UDP length or checksum are dropped and counted. Needs
// CAP_NET_RAW.
class PacketSocket4 : public BatchSocket<PacketSocket4> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PacketSocket4(const Napi::CallbackInfo& info);

 private:
  Napi::Value Counters(const Napi::CallbackInfo& info);

  int Drain() override;
  // Checks one frame; returns the UDP payload's offset in it (and its length), or 0 if dropped.
  size_t Parse(const uint8_t* frame, size_t len, unsigned status, size_t* payloadLen);

  int ifindex_ = 0;

  double received_ = 0;
  double badHeader_ = 0;
  double badChecksum_ = 0;
  double truncated_ = 0;

  std::vector<size_t> payloadAt_;
  std::vector<size_t> payloadLen_;
};

}  // namespace nestor
