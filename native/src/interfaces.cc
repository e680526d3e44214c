// Interface enumeration: getifaddrs() sees every interface (an AF_PACKET entry each, even without
// an address) with its flags and hardware address, which os.networkInterfaces() does not.
#include "interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "errors.h"

namespace nestor {

namespace {

struct Address {
  int family;
  std::string address;
  int prefixlen;
};

struct Iface {
  unsigned int index = 0;
  unsigned int flags = 0;
  std::string mac;
  std::vector<Address> addresses;
};

int PrefixLength(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  const unsigned char* bytes;
  size_t len;
  if (mask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    len = 4;
  } else if (mask->sa_family == AF_INET6) {
    bytes = reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr;
    len = 16;
  } else {
    return 0;
  }
  int bits = 0;
  for (size_t i = 0; i < len; i++) bits += __builtin_popcount(bytes[i]);
  return bits;
}

std::string FormatMac(const sockaddr_ll* ll) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < ll->sll_halen && i < 8; i++) {
    if (i > 0) out += ':';
    out += hex[ll->sll_addr[i] >> 4];
    out += hex[ll->sll_addr[i] & 15];
  }
  return out;
}

}  // namespace

Napi::Value Interfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) throw ErrnoError(env, errno, "getifaddrs");
  std::map<std::string, Iface> byName;
  std::vector<std::string> order;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    auto found = byName.find(it->ifa_name);
    if (found == byName.end()) {
      order.push_back(it->ifa_name);
      found = byName.emplace(it->ifa_name, Iface{}).first;
      found->second.index = if_nametoindex(it->ifa_name);
    }
    Iface& iface = found->second;
    iface.flags = it->ifa_flags;
    if (it->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN];
    int family = it->ifa_addr->sa_family;
    if (family == AF_PACKET) {
      iface.mac = FormatMac(reinterpret_cast<const sockaddr_ll*>(it->ifa_addr));
    } else if (family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(it->ifa_addr)->sin_addr, text,
                sizeof text);
      iface.addresses.push_back({4, text, PrefixLength(it->ifa_netmask)});
    } else if (family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(it->ifa_addr)->sin6_addr, text,
                sizeof text);
      iface.addresses.push_back({6, text, PrefixLength(it->ifa_netmask)});
    }
  }
  freeifaddrs(list);

  Napi::Array result = Napi::Array::New(env, order.size());
  for (size_t i = 0; i < order.size(); i++) {
    const Iface& iface = byName[order[i]];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", order[i]);
    o.Set("index", iface.index);
    o.Set("up", (iface.flags & IFF_UP) != 0);
    o.Set("running", (iface.flags & IFF_RUNNING) != 0);
    o.Set("loopback", (iface.flags & IFF_LOOPBACK) != 0);
    o.Set("broadcast", (iface.flags & IFF_BROADCAST) != 0);
    o.Set("multicast", (iface.flags & IFF_MULTICAST) != 0);
    o.Set("mac", iface.mac);
    Napi::Array addrs = Napi::Array::New(env, iface.addresses.size());
    for (size_t j = 0; j < iface.addresses.size(); j++) {
      Napi::Object a = Napi::Object::New(env);
      a.Set("family", iface.addresses[j].family);
      a.Set("address", iface.addresses[j].address);
      a.Set("prefixlen", iface.addresses[j].prefixlen);
      addrs.Set(static_cast<uint32_t>(j), a);
    }
    o.Set("addresses", addrs);
    result.Set(static_cast<uint32_t>(i), o);
  }
  return result;
}

Napi::Value NameToIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw ArgError(env, "interface name must be a string");
  std::string name = info[0].As<Napi::String>();
  unsigned int index = if_nametoindex(name.c_str());
  if (index == 0) throw ErrnoError(env, errno, "if_nametoindex", name.c_str());
  return Napi::Number::New(env, index);
}

Napi::Value IndexToName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw ArgError(env, "interface index must be a number");
  unsigned int index = info[0].As<Napi::Number>().Uint32Value();
  char name[IF_NAMESIZE];
  if (if_indextoname(index, name) == nullptr) {
    throw ErrnoError(env, errno, "if_indextoname", std::to_string(index).c_str());
  }
  return Napi::String::New(env, name);
}

}  // namespace nestor
