#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include "read_window.h"

#include <memory>
#include <vector>

namespace nestor {

// Words per received datagram in the metadata array shared with JavaScript.
constexpr int kMetaWords = 16;
constexpr int kMetaOffset = 0;
constexpr int kMetaLength = 1;
constexpr int kMetaSrcPort = 2;
constexpr int kMetaIfindex = 3;
constexpr int kMetaFlags = 4;
constexpr int kMetaScope = 5;
constexpr int kMetaSrcAddr = 8;   // 16 bytes, network order; IPv4 uses the first 4
constexpr int kMetaDstAddr = 12;  // 16 bytes, network order; IPv4 uses the first 4

constexpr int kFlagTruncated = 1;
constexpr int kFlagNoPktinfo = 2;

// A non-blocking UDP socket watched by a uv_poll_t on Node's own loop. Readable events drain up
// to `batch` datagrams with one recvmmsg() and hand them to JavaScript in one call: one fresh
// Buffer holding all payloads back to back, and their metadata in a shared Int32Array.
class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UdpSocket(const Napi::CallbackInfo& info);
  ~UdpSocket() override;

 private:
  Napi::Value SetReuseAddr(const Napi::CallbackInfo& info);
  Napi::Value SetBroadcast(const Napi::CallbackInfo& info);
  Napi::Value BindToDevice(const Napi::CallbackInfo& info);
  Napi::Value SetRecvBufferSize(const Napi::CallbackInfo& info);
  Napi::Value DiscardInput(const Napi::CallbackInfo& info);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value JoinGroup(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value SetReadWindow(const Napi::CallbackInfo& info);
  Napi::Value JsRef(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnEnvCleanup(void* arg);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  // Reads one batch: the datagrams read (0: none waiting), -1 when reading stopped.
  int Drain();
  static int TimedRead(void* owner);
  void Deliver(size_t argc, const napi_value* argv);
  void DeliverError(int err, const char* syscall);
  void StopPolling();
  void CheckOpen(Napi::Env env) const;
  void SetIntOption(Napi::Env env, int level, int name, int value, const char* what);
  // Fills addr from a textual address; returns its length. Throws on a bad address.
  socklen_t ParseAddress(Napi::Env env, const Napi::Value& text, int port, unsigned scope,
                         sockaddr_storage* addr) const;
  // Fills the control buffer of an outgoing message with the source address and/or interface.
  size_t BuildPktinfo(Napi::Env env, const Napi::Value& src, unsigned ifindex, char* control) const;
  void ReleaseHandle();

  int fd_ = -1;
  int family_ = AF_INET;
  int batch_ = 0;
  int slot_ = 0;
  bool polling_ = false;
  bool referenced_ = true;
  bool cleanupHook_ = false;
  uv_poll_t* poll_ = nullptr;
  ReadWindow window_{this, &UdpSocket::TimedRead};
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Int32Array> metaRef_;
  int32_t* meta_ = nullptr;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;

  std::vector<char> slab_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
  std::vector<char> controls_;

  // Reused by SendBatch.
  std::vector<mmsghdr> outMsgs_;
  std::vector<iovec> outIovs_;
  std::vector<sockaddr_storage> outNames_;
  std::vector<char> outControls_;
};

}  // namespace nestor
