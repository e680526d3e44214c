#include "errors.h"

#include <uv.h>

#include <cstring>
#include <string>

namespace nestor {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* detail) {
  // libuv's error codes are the negated errno values on Unix, so it names them for us.
  const char* code = uv_err_name(-err);
  std::string message = std::string(syscall) + " " + code + " (" + std::strerror(err) + ")";
  if (detail != nullptr && detail[0] != '\0') message += ": " + std::string(detail);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

Napi::Error ArgError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  return error;
}

}  // namespace nestor
