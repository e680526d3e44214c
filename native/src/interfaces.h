#pragma once

#include <napi.h>

namespace nestor {

// [{ name, index, up, running, loopback, broadcast, multicast, mac, addresses: [...] }]
Napi::Value Interfaces(const Napi::CallbackInfo& info);
Napi::Value NameToIndex(const Napi::CallbackInfo& info);
Napi::Value IndexToName(const Napi::CallbackInfo& info);

}  // namespace nestor
