#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include "read_window.h"

#include <memory>
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
// does. Frames with a bad IP header, UDP length or checksum are dropped and counted. Needs
// CAP_NET_RAW.
class PacketSocket4 : public Napi::ObjectWrap<PacketSocket4> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PacketSocket4(const Napi::CallbackInfo& info);
  ~PacketSocket4() override;

 private:
  Napi::Value SetRecvBufferSize(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value SetReadWindow(const Napi::CallbackInfo& info);
  Napi::Value JsRef(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnEnvCleanup(void* arg);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  // Reads one batch: the datagrams read (0: none waiting), -1 when reading stopped.
  int Drain();
  static int TimedRead(void* owner);
  void Deliver(size_t argc, const napi_value* argv);
  void DeliverError(int err, const char* syscall);
  void StopPolling();
  void ReleaseHandle();
  // Checks one frame; returns the UDP payload's offset in it (and its length), or 0 if dropped.
  size_t Parse(const uint8_t* frame, size_t len, unsigned status, size_t* payloadLen);

  int fd_ = -1;
  int ifindex_ = 0;
  int batch_ = 0;
  int slot_ = 0;
  bool polling_ = false;
  bool referenced_ = true;
  bool cleanupHook_ = false;
  uv_poll_t* poll_ = nullptr;
  ReadWindow window_{this, &PacketSocket4::TimedRead};
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Int32Array> metaRef_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;

  double received_ = 0;
  double badHeader_ = 0;
  double badChecksum_ = 0;
  double truncated_ = 0;

  std::vector<char> slab_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<char> controls_;
  std::vector<size_t> payloadAt_;
  std::vector<size_t> payloadLen_;
};

}  // namespace nestor
