#include <napi.h>

#include "interfaces.h"
#include "packet_socket.h"
#include "raw_sender.h"
#include "udp_socket.h"
#include "unix_dgram.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSocket", nestor::UdpSocket::Define(env));
  exports.Set("RawSender4", nestor::RawSender4::Define(env));
  exports.Set("PacketSocket4", nestor::PacketSocket4::Define(env));
  exports.Set("interfaces", Napi::Function::New(env, nestor::Interfaces, "interfaces"));
  exports.Set("nameToIndex", Napi::Function::New(env, nestor::NameToIndex, "nameToIndex"));
  exports.Set("indexToName", Napi::Function::New(env, nestor::IndexToName, "indexToName"));
  exports.Set("unixDgramOpen", Napi::Function::New(env, nestor::UnixDgramOpen, "unixDgramOpen"));
  exports.Set("unixDgramSend", Napi::Function::New(env, nestor::UnixDgramSend, "unixDgramSend"));
  exports.Set("unixDgramClose", Napi::Function::New(env, nestor::UnixDgramClose, "unixDgramClose"));
  exports.Set("META_WORDS", Napi::Number::New(env, nestor::kMetaWords));
  return exports;
}

}  // namespace

NODE_API_MODULE(nestor_net, Init)
