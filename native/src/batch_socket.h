#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <uv.h>

#include "read_window.h"

#include <initializer_list>
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

constexpr int kMaxEintrRetries = 16;

// What every receiving socket of the addon shares: a non-blocking descriptor watched by a
// uv_poll_t on Node's own loop, the receive window (read_window.h), a ring of `batch` receive
// slots for recvmmsg(), and the one call into JavaScript per batch: one fresh Buffer holding the
// payloads back to back, their metadata in the shared Int32Array (kMetaWords per datagram).
// A readable event (or a timed read of the window) calls Drain(), which the socket type writes
// with Receive() and DeliverBatch(); errors reach JavaScript as the handler's third argument.
// No exception ever goes into libuv, and the socket stops reading when JavaScript cannot run.
class BatchReceiver {
 public:
  BatchReceiver(const BatchReceiver&) = delete;
  BatchReceiver& operator=(const BatchReceiver&) = delete;

 protected:
  // resourceName: the async resource the handler's calls run under ("NestorUdpSocket"...).
  BatchReceiver(napi_env env, const char* resourceName);
  virtual ~BatchReceiver();

  // Reads one batch: the datagrams read (0: none waiting), -1 when reading stopped.
  virtual int Drain() = 0;
  // The JavaScript object the handler is called on.
  virtual napi_ref Receiver() = 0;

  // Throws unless 1 <= batch <= 1024 and 512 <= slot <= 65536; keeps them.
  void SetBatch(Napi::Env env, int batch, int slot);
  // The receive slots: slotBytes of data and controlSize of ancillary data each, and a source
  // address when withNames.
  void InitRing(size_t slotBytes, size_t controlSize, bool withNames);
  // After a slot was read: its lengths as recvmmsg() needs them again.
  void ResetSlot(int i);
  // Closes the environment's socket with it (a worker can go away while the socket is open).
  void WatchEnvCleanup();
  void CheckOpen(Napi::Env env) const;

  // The JavaScript methods' shared work. Start and Stop return true when reading started or
  // stopped (the wrapper then holds or lets go of its JavaScript object).
  bool StartReading(const Napi::CallbackInfo& info);
  bool StopReading();
  // setReadWindow(ms): the receive window (read_window.h); 0 turns it off.
  Napi::Value SetReadWindow(const Napi::CallbackInfo& info);
  Napi::Value JsRef(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  // setRecvBufferSize(bytes): SO_RCVBUFFORCE, else SO_RCVBUF; returns the size in force.
  Napi::Value SetRecvBufferSize(const Napi::CallbackInfo& info);
  // Releases the descriptor and the handler; true when it was being read.
  bool CloseReading();

  // One recvmmsg() of up to batch_ slots: the count, 0 when nothing was waiting (or errno is
  // alsoTransient), -1 after an error was delivered.
  int Receive(int alsoTransient = 0);
  // A Buffer of `total` bytes and the metadata array for `count` datagrams, filled by
  // fill(uint8_t* out, int32_t* meta), then handed to the handler. False when that could not be
  // made (reading stopped).
  template <typename Fill>
  bool DeliverBatch(size_t total, int count, Fill fill) {
    napi_value argv[2];
    uint8_t* out;
    int32_t* meta;
    if (!NewBatch(total, count, argv, &out, &meta)) return false;
    fill(out, meta);
    Deliver(2, argv);
    return true;
  }

  napi_env env_;
  int fd_ = -1;
  int batch_ = 0;
  int slot_ = 0;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;

 private:
  void SetReferenced(bool referenced);
  static void OnEnvCleanup(void* arg);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static int TimedRead(void* owner);
  int DrainInScope();
  bool NewBatch(size_t total, int count, napi_value* argv, uint8_t** out, int32_t** meta);
  void Deliver(size_t argc, const napi_value* argv);
  void DeliverError(int err, const char* syscall);
  void StopPolling();
  void ReleaseHandle();

  const char* resourceName_;
  bool polling_ = false;
  bool referenced_ = true;
  bool cleanupHook_ = false;
  size_t controlSize_ = 0;
  uv_poll_t* poll_ = nullptr;
  ReadWindow window_{this, &BatchReceiver::TimedRead};
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Int32Array> metaRef_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  std::vector<char> slab_;
  std::vector<char> controls_;
};

// A receiving socket class exposed to JavaScript: BatchReceiver plus the methods every one of
// them has (start, stop, setReadWindow, ref, unref, setRecvBufferSize, close).
template <typename T>
class BatchSocket : public Napi::ObjectWrap<T>, protected BatchReceiver {
 public:
  using Method = Napi::ClassPropertyDescriptor<T>;

  BatchSocket(const Napi::CallbackInfo& info, const char* resourceName)
      : Napi::ObjectWrap<T>(info), BatchReceiver(info.Env(), resourceName) {}

 protected:
  // The class with the shared methods and its own.
  static Napi::Function DefineSocket(Napi::Env env, const char* name,
                                     std::initializer_list<Method> own) {
    std::vector<Method> methods(own);
    methods.push_back(Napi::ObjectWrap<T>::InstanceMethod("start", &BatchSocket::JsStart));
    methods.push_back(Napi::ObjectWrap<T>::InstanceMethod("stop", &BatchSocket::JsStop));
    methods.push_back(Napi::ObjectWrap<T>::InstanceMethod(
        "setReadWindow", &BatchSocket::Call<&BatchSocket::SetReadWindow>));
    methods.push_back(
        Napi::ObjectWrap<T>::InstanceMethod("ref", &BatchSocket::Call<&BatchSocket::JsRef>));
    methods.push_back(
        Napi::ObjectWrap<T>::InstanceMethod("unref", &BatchSocket::Call<&BatchSocket::JsUnref>));
    methods.push_back(Napi::ObjectWrap<T>::InstanceMethod(
        "setRecvBufferSize", &BatchSocket::Call<&BatchSocket::SetRecvBufferSize>));
    methods.push_back(Napi::ObjectWrap<T>::InstanceMethod("close", &BatchSocket::JsClose));
    return Napi::ObjectWrap<T>::DefineClass(env, name, methods);
  }

 private:
  napi_ref Receiver() override { return *static_cast<Napi::ObjectWrap<T>*>(this); }

  // start(callback: (count, data, error) => void, meta: Int32Array)
  Napi::Value JsStart(const Napi::CallbackInfo& info) {
    // A socket being read stays alive, as a dgram socket does.
    if (StartReading(info)) Napi::ObjectWrap<T>::Ref();
    return info.Env().Undefined();
  }

  Napi::Value JsStop(const Napi::CallbackInfo& info) {
    if (StopReading()) Napi::ObjectWrap<T>::Unref();
    return info.Env().Undefined();
  }

  // A method of BatchReceiver as a method of T.
  template <Napi::Value (BatchReceiver::*Method)(const Napi::CallbackInfo&)>
  Napi::Value Call(const Napi::CallbackInfo& info) {
    return (this->*Method)(info);
  }

  // Releases the descriptor (and its port) synchronously; the socket cannot be used afterwards.
  // Idempotent.
  Napi::Value JsClose(const Napi::CallbackInfo& info) {
    if (CloseReading()) Napi::ObjectWrap<T>::Unref();
    return info.Env().Undefined();
  }
};

}  // namespace nestor
