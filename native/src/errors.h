// Errors thrown to JavaScript carry the errno name as `code` (EADDRINUSE, EPERM, ...), the
// negative errno as `errno` and the failing call as `syscall`, like Node's own system errors.
#pragma once

#include <napi.h>

namespace nestor {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* detail = nullptr);

// A TypeError with code ERR_INVALID_ARG_VALUE for arguments the addon cannot use.
Napi::Error ArgError(Napi::Env env, const std::string& message);

}  // namespace nestor
