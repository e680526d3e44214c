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
#include "udp_socket.h"

namespace nestor {

namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kUdpHeader = 8;
constexpr size_t kLinkBytes = 12;
constexpr int kMaxBatch = 1024;
constexpr int kMaxEintrRetries = 16;
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
  return DefineClass(env, "PacketSocket4",
                     {
                         InstanceMethod("setRecvBufferSize", &PacketSocket4::SetRecvBufferSize),
                         InstanceMethod("start", &PacketSocket4::Start),
                         InstanceMethod("stop", &PacketSocket4::Stop),
                         InstanceMethod("setReadWindow", &PacketSocket4::SetReadWindow),
                         InstanceMethod("ref", &PacketSocket4::JsRef),
                         InstanceMethod("unref", &PacketSocket4::JsUnref),
                         InstanceMethod("counters", &PacketSocket4::Counters),
                         InstanceMethod("close", &PacketSocket4::Close),
                     });
}

// new PacketSocket4(ifindex: number, port: number, batch: number, slot: number)
PacketSocket4::PacketSocket4(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<PacketSocket4>(info) {
  Napi::Env env = info.Env();
  ifindex_ = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  int port = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : -1;
  batch_ = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  slot_ = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0;
  if (ifindex_ <= 0) throw ArgError(env, "ifindex must be a positive number");
  if (port < 1 || port > 65535) throw ArgError(env, "port must be 1..65535");
  if (batch_ < 1 || batch_ > kMaxBatch) throw ArgError(env, "batch must be 1..1024");
  if (slot_ < 512 || slot_ > 65536) throw ArgError(env, "slot must be 512..65536 bytes");

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

  napi_add_env_cleanup_hook(env, &PacketSocket4::OnEnvCleanup, this);
  cleanupHook_ = true;

  size_t frameSlot = static_cast<size_t>(slot_) + kEthHeader + 60 + kUdpHeader;
  slab_.resize(static_cast<size_t>(batch_) * frameSlot);
  msgs_.resize(batch_);
  iovs_.resize(batch_);
  controls_.resize(static_cast<size_t>(batch_) * kControlSize);
  payloadAt_.resize(batch_);
  payloadLen_.resize(batch_);
  for (int i = 0; i < batch_; i++) {
    iovs_[i].iov_base = slab_.data() + static_cast<size_t>(i) * frameSlot;
    iovs_[i].iov_len = frameSlot;
    msghdr& h = msgs_[i].msg_hdr;
    std::memset(&h, 0, sizeof h);
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_control = controls_.data() + static_cast<size_t>(i) * kControlSize;
    h.msg_controllen = kControlSize;
  }
}

PacketSocket4::~PacketSocket4() {
  if (cleanupHook_) napi_remove_env_cleanup_hook(Env(), &PacketSocket4::OnEnvCleanup, this);
  ReleaseHandle();
}

void PacketSocket4::OnEnvCleanup(void* arg) {
  auto* self = static_cast<PacketSocket4*>(arg);
  self->cleanupHook_ = false;
  self->ReleaseHandle();
}

Napi::Value PacketSocket4::SetRecvBufferSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "socket", "socket is closed");
  if (!info[0].IsNumber()) throw ArgError(env, "size must be a number");
  int size = info[0].As<Napi::Number>().Int32Value();
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
    throw ErrnoError(env, errno, "setsockopt", "SO_RCVBUF");
  }
  return env.Undefined();
}

// start(callback: (count, data, error) => void, meta: Int32Array)
Napi::Value PacketSocket4::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "socket", "socket is closed");
  if (!info[0].IsFunction()) throw ArgError(env, "callback must be a function");
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < static_cast<size_t>(batch_) * kMetaWords) {
    throw ArgError(env, "meta must be an Int32Array of batch * 16 elements");
  }
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  metaRef_ = Napi::Persistent(info[1].As<Napi::Int32Array>());
  if (!asyncContext_) {
    asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "NestorPacketSocket4");
  }
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no uv loop");
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      throw ErrnoError(env, -rc, "uv_poll_init");
    }
    poll_->data = this;
    if (!referenced_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  window_.Cancel();
  int rc = uv_poll_start(poll_, UV_READABLE, &PacketSocket4::OnPoll);
  if (rc != 0) throw ErrnoError(env, -rc, "uv_poll_start");
  if (!polling_) {
    polling_ = true;
    Napi::ObjectWrap<PacketSocket4>::Ref();
  }
  return env.Undefined();
}

Napi::Value PacketSocket4::Stop(const Napi::CallbackInfo& info) {
  window_.Cancel();
  if (poll_ != nullptr) uv_poll_stop(poll_);
  if (polling_) {
    polling_ = false;
    Napi::ObjectWrap<PacketSocket4>::Unref();
  }
  return info.Env().Undefined();
}

// setReadWindow(ms): the receive window (read_window.h); 0 turns it off.
Napi::Value PacketSocket4::SetReadWindow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw ArgError(env, "ms must be a number");
  int ms = info[0].As<Napi::Number>().Int32Value();
  if (ms < 0 || ms > 1000) throw ArgError(env, "ms must be between 0 and 1000");
  window_.SetMs(static_cast<unsigned>(ms));
  if (ms == 0) {
    window_.Cancel();
    if (polling_ && poll_ != nullptr) uv_poll_start(poll_, UV_READABLE, &PacketSocket4::OnPoll);
  }
  return env.Undefined();
}

Napi::Value PacketSocket4::JsRef(const Napi::CallbackInfo& info) {
  referenced_ = true;
  window_.SetRef(true);
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value PacketSocket4::JsUnref(const Napi::CallbackInfo& info) {
  referenced_ = false;
  window_.SetRef(false);
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
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

void PacketSocket4::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PacketSocket4*>(handle->data);
  if (self == nullptr || self->fd_ < 0) return;
  napi_env env = self->Env();
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  if (status < 0) {
    self->StopPolling();
    self->DeliverError(-status, "uv_poll");
  } else if (self->Drain() > 0 && self->polling_ && self->fd_ >= 0) {
    self->window_.AfterReadable(self->poll_, &PacketSocket4::OnPoll);
  }
  napi_close_handle_scope(env, scope);
}

int PacketSocket4::TimedRead(void* owner) {
  auto* self = static_cast<PacketSocket4*>(owner);
  if (self->fd_ < 0 || !self->polling_) return -1;
  napi_env env = self->Env();
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -1;
  int n = self->Drain();
  napi_close_handle_scope(env, scope);
  return self->fd_ < 0 || !self->polling_ ? -1 : n;
}

// As UdpSocket::Deliver: never throws into libuv; stops reading when JavaScript cannot run.
void PacketSocket4::Deliver(size_t argc, const napi_value* argv) {
  napi_env env = Env();
  napi_value recv;
  napi_value fn;
  napi_value result;
  napi_status status = napi_get_reference_value(env, callback_, &fn);
  napi_ref self = *static_cast<Napi::Reference<Napi::Object>*>(this);
  if (status == napi_ok) status = napi_get_reference_value(env, self, &recv);
  if (status == napi_ok && fn != nullptr && recv != nullptr) {
    status = napi_make_callback(env, *asyncContext_, recv, fn, argc, argv, &result);
    if (status == napi_ok) return;
  }
  bool pending = false;
  napi_value exception;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &exception) == napi_ok) {
    napi_valuetype type;
    if (napi_typeof(env, exception, &type) == napi_ok && type != napi_undefined) {
      napi_fatal_exception(env, exception);
      return;
    }
  }
  StopPolling();
}

void PacketSocket4::DeliverError(int err, const char* syscall) {
  napi_env env = Env();
  napi_value argv[3];
  try {
    argv[2] = ErrnoError(Env(), err, syscall).Value();
  } catch (const Napi::Error&) {
    StopPolling();
    return;
  }
  if (napi_create_uint32(env, 0, &argv[0]) != napi_ok ||
      napi_get_undefined(env, &argv[1]) != napi_ok) {
    StopPolling();
    return;
  }
  Deliver(3, argv);
}

void PacketSocket4::StopPolling() {
  window_.Cancel();
  if (poll_ != nullptr) uv_poll_stop(poll_);
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
  napi_env env = Env();
  int n;
  int retries = 0;
  do {
    n = recvmmsg(fd_, msgs_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR && ++retries < kMaxEintrRetries);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENETDOWN) return 0;
    DeliverError(errno, "recvmmsg");
    return -1;
  }
  if (n == 0) return 0;

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
    h.msg_controllen = kControlSize;
    h.msg_flags = 0;
  }
  if (kept == 0) return n;

  napi_value data;
  void* outData = nullptr;
  napi_value metaValue;
  void* metaData = nullptr;
  napi_value count;
  if (napi_create_buffer(env, total, &outData, &data) != napi_ok ||
      napi_get_reference_value(env, metaRef_, &metaValue) != napi_ok || metaValue == nullptr ||
      napi_get_typedarray_info(env, metaValue, nullptr, nullptr, &metaData, nullptr, nullptr) !=
          napi_ok ||
      napi_create_uint32(env, static_cast<uint32_t>(kept), &count) != napi_ok) {
    StopPolling();
    return -1;
  }
  auto* out = static_cast<uint8_t*>(outData);
  auto* meta = static_cast<int32_t*>(metaData);
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
  napi_value argv[2] = {count, data};
  Deliver(2, argv);
  return n;
}

void PacketSocket4::ReleaseHandle() {
  window_.Close();
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Napi::Value PacketSocket4::Close(const Napi::CallbackInfo& info) {
  ReleaseHandle();
  if (polling_) {
    polling_ = false;
    Napi::ObjectWrap<PacketSocket4>::Unref();
  }
  callback_.Reset();
  metaRef_.Reset();
  return info.Env().Undefined();
}

}  // namespace nestor
