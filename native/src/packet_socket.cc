#include "packet_socket.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"

namespace nestor {

namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kUdpHeader = 8;
constexpr size_t kLinkBytes = 12;
constexpr size_t kControlSize = CMSG_SPACE(sizeof(tpacket_auxdata)) + 64;

uint32_t Sum16(const uint8_t* data, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (len & 1) sum += data[len - 1] << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The classic BPF program: IPv4, UDP, not a fragment, destination port `port`, and a frame that
// came in for this host (PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST): our own outgoing frames
// and, in promiscuous mode, other hosts' are left in the kernel.
std::vector<sock_filter> Filter(uint16_t port) {
  constexpr uint32_t kAccept = 0x40000;  // the whole frame (up to 256 KiB)
  return {
      // 0: A = the frame's packet type; above PACKET_MULTICAST (2) -> reject
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, PACKET_MULTICAST, 10, 0),
      // 2: EtherType IPv4
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 8),
      // 4: protocol UDP
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, kEthHeader + 9),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
      // 6: no fragment (more-fragments flag or an offset)
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, kEthHeader + 6),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 4, 0),
      // 8: X = IP header length; destination port at X + 14 + 2
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, kEthHeader),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, kEthHeader + 2),
      // 10: port -> accept
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, kAccept),
      // 12: reject
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
}

}  // namespace

Napi::Function PacketSocket4::Define(Napi::Env env) {
  return DefineSocket(env, "PacketSocket4",
                      {InstanceMethod("counters", &PacketSocket4::Counters)});
}

// new PacketSocket4(ifindex: number, port: number, batch: number, slot: number)
PacketSocket4::PacketSocket4(const Napi::CallbackInfo& info)
    : BatchSocket<PacketSocket4>(info, "NestorPacketSocket4") {
  Napi::Env env = info.Env();
  ifindex_ = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  int port = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  if (ifindex_ <= 0) throw ArgError(env, "ifindex must be a positive number");
  if (port < 1 || port > 65535) throw ArgError(env, "port must be 1..65535");
  SetBatch(env, info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0,
           info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0);

  // Protocol 0 until the filter is on: nothing is queued before it, so nothing unfiltered is read.
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ErrnoError(env, errno, "socket", "AF_PACKET");
  std::vector<sock_filter> code = Filter(static_cast<uint16_t>(port));
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  int on = 1;
  sockaddr_ll addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_IP);
  addr.sll_ifindex = ifindex_;
  const char* failed = nullptr;
  std::string what;
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    failed = "setsockopt";
    what = "SO_ATTACH_FILTER";
  } else if (setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) != 0) {
    failed = "setsockopt";
    what = "PACKET_AUXDATA";
  } else if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    failed = "bind";
    what = "AF_PACKET interface " + std::to_string(ifindex_);
  }
  if (failed != nullptr) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw ErrnoError(env, err, failed, what.c_str());
  }

  WatchEnvCleanup();
  InitRing(static_cast<size_t>(slot_) + kEthHeader + 60 + kUdpHeader, kControlSize, false);
  payloadAt_.resize(batch_);
  payloadLen_.resize(batch_);
}

// counters() -> { received, badHeader, badChecksum, truncated }
Napi::Value PacketSocket4::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("received", received_);
  o.Set("badHeader", badHeader_);
  o.Set("badChecksum", badChecksum_);
  o.Set("truncated", truncated_);
  return o;
}

size_t PacketSocket4::Parse(const uint8_t* frame, size_t len, unsigned status,
                            size_t* payloadLen) {
  if (len < kEthHeader + 20 + kUdpHeader) {
    badHeader_++;
    return 0;
  }
  const uint8_t* ip = frame + kEthHeader;
  size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  size_t total = (static_cast<size_t>(ip[2]) << 8) | ip[3];
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl + kUdpHeader || total > len - kEthHeader ||
      Fold(Sum16(ip, ihl, 0)) != 0xffff) {
    badHeader_++;
    return 0;
  }
  const uint8_t* udp = ip + ihl;
  size_t udpLen = (static_cast<size_t>(udp[4]) << 8) | udp[5];
  if (udpLen < kUdpHeader || udpLen > total - ihl) {
    badHeader_++;
    return 0;
  }
  uint16_t sum = static_cast<uint16_t>((udp[6] << 8) | udp[7]);
  // A checksum the sender's kernel leaves to the hardware (veth, loopback) is not there yet.
  bool verify = sum != 0 && (status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID)) == 0;
  if (verify) {
    uint32_t pseudo = Sum16(ip + 12, 8, 0) + IPPROTO_UDP + static_cast<uint32_t>(udpLen);
    if (Fold(Sum16(udp, udpLen, pseudo)) != 0xffff) {
      badChecksum_++;
      return 0;
    }
  }
  *payloadLen = udpLen - kUdpHeader;
  return kEthHeader + ihl + kUdpHeader;
}

// One recvmmsg() of up to batch_ frames, then one call into JavaScript with the valid ones.
int PacketSocket4::Drain() {
  // ENETDOWN: the interface went down; its frames are gone, the socket stays.
  int n = Receive(ENETDOWN);
  if (n <= 0) return n;

  size_t total = 0;
  int kept = 0;
  for (int i = 0; i < n; i++) {
    msghdr& h = msgs_[i].msg_hdr;
    received_++;
    payloadLen_[i] = 0;
    payloadAt_[i] = 0;
    if (h.msg_flags & MSG_TRUNC) {
      truncated_++;
    } else {
      unsigned status = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          tpacket_auxdata aux;
          std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
          status = aux.tp_status;
        }
      }
      size_t plen = 0;
      size_t at = Parse(static_cast<const uint8_t*>(iovs_[i].iov_base), msgs_[i].msg_len, status,
                        &plen);
      if (at != 0) {
        payloadAt_[i] = at;
        payloadLen_[i] = plen;
        total += plen + kLinkBytes;
        kept++;
      }
    }
    ResetSlot(i);
  }
  if (kept == 0) return n;

  bool delivered = DeliverBatch(total, kept, [this, n](uint8_t* out, int32_t* meta) {
    size_t offset = 0;
    int j = 0;
    for (int i = 0; i < n; i++) {
      if (payloadAt_[i] == 0) continue;
      const auto* frame = static_cast<const uint8_t*>(iovs_[i].iov_base);
      const uint8_t* ip = frame + kEthHeader;
      const uint8_t* udp = frame + payloadAt_[i] - kUdpHeader;
      size_t len = payloadLen_[i];
      std::memcpy(out + offset, frame + payloadAt_[i], len);
      int32_t* m = meta + static_cast<size_t>(j) * kMetaWords;
      std::memset(m, 0, kMetaWords * sizeof(int32_t));
      m[kMetaOffset] = static_cast<int32_t>(offset);
      m[kMetaLength] = static_cast<int32_t>(len);
      m[kMetaSrcPort] = (udp[0] << 8) | udp[1];
      m[kMetaDstPort] = (udp[2] << 8) | udp[3];
      m[kMetaIfindex] = ifindex_;
      m[kMetaFlags] = kFlagLinkLayer;
      auto* bytes = reinterpret_cast<uint8_t*>(m);
      std::memcpy(bytes + kMetaSrcAddr * 4, ip + 12, 4);
      std::memcpy(bytes + kMetaDstAddr * 4, ip + 16, 4);
      // The link layer follows the payload: destination then source Ethernet address.
      std::memcpy(out + offset + len, frame, kLinkBytes);
      offset += len + kLinkBytes;
      j++;
    }
  });
  return delivered ? n : -1;
}

}  // namespace nestor
