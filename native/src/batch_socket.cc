#include "batch_socket.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace nestor {

namespace {

constexpr int kMaxBatch = 1024;

}  // namespace

BatchReceiver::BatchReceiver(napi_env env, const char* resourceName)
    : env_(env), resourceName_(resourceName) {}

BatchReceiver::~BatchReceiver() {
  if (cleanupHook_) napi_remove_env_cleanup_hook(env_, &BatchReceiver::OnEnvCleanup, this);
  ReleaseHandle();
}

void BatchReceiver::SetBatch(Napi::Env env, int batch, int slot) {
  if (batch < 1 || batch > kMaxBatch) throw ArgError(env, "batch must be 1..1024");
  if (slot < 512 || slot > 65536) throw ArgError(env, "slot must be 512..65536 bytes");
  batch_ = batch;
  slot_ = slot;
}

void BatchReceiver::InitRing(size_t slotBytes, size_t controlSize, bool withNames) {
  controlSize_ = controlSize;
  slab_.resize(static_cast<size_t>(batch_) * slotBytes);
  msgs_.resize(batch_);
  iovs_.resize(batch_);
  if (withNames) names_.resize(batch_);
  controls_.resize(static_cast<size_t>(batch_) * controlSize);
  for (int i = 0; i < batch_; i++) {
    iovs_[i].iov_base = slab_.data() + static_cast<size_t>(i) * slotBytes;
    iovs_[i].iov_len = slotBytes;
    msghdr& h = msgs_[i].msg_hdr;
    std::memset(&h, 0, sizeof h);
    if (withNames) {
      h.msg_name = &names_[i];
      h.msg_namelen = sizeof(sockaddr_storage);
    }
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_control = controls_.data() + static_cast<size_t>(i) * controlSize;
    h.msg_controllen = controlSize;
  }
}

void BatchReceiver::ResetSlot(int i) {
  msghdr& h = msgs_[i].msg_hdr;
  if (h.msg_name != nullptr) h.msg_namelen = sizeof(sockaddr_storage);
  h.msg_controllen = controlSize_;
  h.msg_flags = 0;
}

void BatchReceiver::WatchEnvCleanup() {
  napi_add_env_cleanup_hook(env_, &BatchReceiver::OnEnvCleanup, this);
  cleanupHook_ = true;
}

void BatchReceiver::OnEnvCleanup(void* arg) {
  auto* self = static_cast<BatchReceiver*>(arg);
  self->cleanupHook_ = false;
  self->ReleaseHandle();
}

void BatchReceiver::CheckOpen(Napi::Env env) const {
  if (fd_ < 0) throw ErrnoError(env, EBADF, "socket", "socket is closed");
}

bool BatchReceiver::StartReading(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsFunction()) throw ArgError(env, "callback must be a function");
  if (!info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < static_cast<size_t>(batch_) * kMetaWords) {
    throw ArgError(env, "meta must be an Int32Array of batch * 16 elements");
  }
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  metaRef_ = Napi::Persistent(info[1].As<Napi::Int32Array>());
  if (!asyncContext_) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, resourceName_);
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
  int rc = uv_poll_start(poll_, UV_READABLE, &BatchReceiver::OnPoll);
  if (rc != 0) throw ErrnoError(env, -rc, "uv_poll_start");
  if (polling_) return false;
  polling_ = true;
  return true;
}

bool BatchReceiver::StopReading() {
  StopPolling();
  if (!polling_) return false;
  polling_ = false;
  return true;
}

Napi::Value BatchReceiver::SetReadWindow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw ArgError(env, "ms must be a number");
  int ms = info[0].As<Napi::Number>().Int32Value();
  if (ms < 0 || ms > 1000) throw ArgError(env, "ms must be between 0 and 1000");
  window_.SetMs(static_cast<unsigned>(ms));
  if (ms == 0) {
    window_.Cancel();
    if (polling_ && poll_ != nullptr) uv_poll_start(poll_, UV_READABLE, &BatchReceiver::OnPoll);
  }
  return env.Undefined();
}

Napi::Value BatchReceiver::JsRef(const Napi::CallbackInfo& info) {
  SetReferenced(true);
  return info.Env().Undefined();
}

Napi::Value BatchReceiver::JsUnref(const Napi::CallbackInfo& info) {
  SetReferenced(false);
  return info.Env().Undefined();
}

void BatchReceiver::SetReferenced(bool referenced) {
  referenced_ = referenced;
  window_.SetRef(referenced);
  if (poll_ == nullptr) return;
  if (referenced) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  else uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
}

Napi::Value BatchReceiver::SetRecvBufferSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!info[0].IsNumber()) throw ArgError(env, "size must be a number");
  int size = info[0].As<Napi::Number>().Int32Value();
  // SO_RCVBUFFORCE (CAP_NET_ADMIN, as a DHCP server run as root has) is not capped at
  // net.core.rmem_max, which is 208 KiB on many systems; without the capability, SO_RCVBUF.
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
    throw ErrnoError(env, errno, "setsockopt", "SO_RCVBUF");
  }
  // The size in force: the kernel doubles what it was given (for its bookkeeping), and caps
  // SO_RCVBUF at rmem_max.
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0) got = 0;
  return Napi::Number::New(env, got);
}

bool BatchReceiver::CloseReading() {
  ReleaseHandle();
  bool was = polling_;
  polling_ = false;
  callback_.Reset();
  metaRef_.Reset();
  return was;
}

void BatchReceiver::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<BatchReceiver*>(handle->data);
  if (self == nullptr || self->fd_ < 0) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(self->env_, &scope) != napi_ok) return;
  if (status < 0) {
    // The descriptor itself failed (EBADF...): report once, do not spin on it.
    self->StopPolling();
    self->DeliverError(-status, "uv_poll");
  } else if (self->Drain() > 0 && self->polling_ && self->fd_ >= 0) {
    self->window_.AfterReadable(self->poll_, &BatchReceiver::OnPoll);
  }
  napi_close_handle_scope(self->env_, scope);
}

int BatchReceiver::TimedRead(void* owner) {
  auto* self = static_cast<BatchReceiver*>(owner);
  if (self->fd_ < 0 || !self->polling_) return -1;
  napi_handle_scope scope;
  if (napi_open_handle_scope(self->env_, &scope) != napi_ok) return -1;
  int n = self->Drain();
  napi_close_handle_scope(self->env_, scope);
  return self->fd_ < 0 || !self->polling_ ? -1 : n;
}

int BatchReceiver::Receive(int alsoTransient) {
  int n;
  int retries = 0;
  do {
    n = recvmmsg(fd_, msgs_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR && ++retries < kMaxEintrRetries);
  if (n >= 0) return n;
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == alsoTransient) return 0;
  DeliverError(err, "recvmmsg");
  return -1;
}

bool BatchReceiver::NewBatch(size_t total, int count, napi_value* argv, uint8_t** out,
                             int32_t** meta) {
  void* outData = nullptr;
  napi_value metaValue;
  void* metaData = nullptr;
  if (napi_create_buffer(env_, total, &outData, &argv[1]) != napi_ok ||
      napi_get_reference_value(env_, metaRef_, &metaValue) != napi_ok || metaValue == nullptr ||
      napi_get_typedarray_info(env_, metaValue, nullptr, nullptr, &metaData, nullptr, nullptr) !=
          napi_ok ||
      napi_create_uint32(env_, static_cast<uint32_t>(count), &argv[0]) != napi_ok) {
    StopPolling();
    return false;
  }
  *out = static_cast<uint8_t*>(outData);
  *meta = static_cast<int32_t*>(metaData);
  return true;
}

// Calls the JavaScript handler; never throws into libuv. An exception from the handler goes to
// 'uncaughtException', as from any event callback. When JavaScript cannot run any more (worker
// terminated, process exiting) the socket stops reading instead of aborting the process.
void BatchReceiver::Deliver(size_t argc, const napi_value* argv) {
  napi_value recv;
  napi_value fn;
  napi_value result;
  napi_status status = napi_get_reference_value(env_, callback_, &fn);
  if (status == napi_ok) status = napi_get_reference_value(env_, Receiver(), &recv);
  if (status == napi_ok && fn != nullptr && recv != nullptr) {
    status = napi_make_callback(env_, *asyncContext_, recv, fn, argc, argv, &result);
    if (status == napi_ok) return;
  }
  bool pending = false;
  napi_value exception;
  if (napi_is_exception_pending(env_, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env_, &exception) == napi_ok) {
    napi_valuetype type;
    if (napi_typeof(env_, exception, &type) == napi_ok && type != napi_undefined) {
      napi_fatal_exception(env_, exception);
      return;
    }
  }
  StopPolling();
}

void BatchReceiver::DeliverError(int err, const char* syscall) {
  napi_value argv[3];
  try {
    argv[2] = ErrnoError(Napi::Env(env_), err, syscall).Value();
  } catch (const Napi::Error&) {
    StopPolling();
    return;
  }
  if (napi_create_uint32(env_, 0, &argv[0]) != napi_ok ||
      napi_get_undefined(env_, &argv[1]) != napi_ok) {
    StopPolling();
    return;
  }
  Deliver(3, argv);
}

void BatchReceiver::StopPolling() {
  window_.Cancel();
  if (poll_ != nullptr) uv_poll_stop(poll_);
}

void BatchReceiver::ReleaseHandle() {
  window_.Close();
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    // uv_close() takes the fd out of epoll at once; the handle memory goes in its callback.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace nestor
