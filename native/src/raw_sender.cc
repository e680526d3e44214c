#include "raw_sender.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"

namespace nestor {

namespace {

constexpr size_t kIpHeader = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kMaxPayload = 65535 - kIpHeader - kUdpHeader;
constexpr uint8_t kTtl = 128;  // what Kea writes in its raw packets

uint32_t Sum16(const uint8_t* data, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (len & 1) sum += data[len - 1] << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// "aa:bb:cc:dd:ee:ff" (1 to 8 octets) into out; returns the octet count, 0 if malformed.
int ParseMac(const std::string& text, uint8_t* out) {
  int n = 0;
  size_t i = 0;
  while (i < text.size() && n < 8) {
    size_t end = text.find(':', i);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(i, end - i);
    if (part.empty() || part.size() > 2) return 0;
    char* stop = nullptr;
    unsigned long v = std::strtoul(part.c_str(), &stop, 16);
    if (*stop != '\0') return 0;
    out[n++] = static_cast<uint8_t>(v);
    i = end + 1;
    if (end == text.size()) return n;
  }
  return i >= text.size() ? n : 0;
}

uint32_t ToUint(const Napi::Value& v, uint32_t max, const char* what) {
  if (!v.IsNumber()) throw ArgError(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max)) throw ArgError(v.Env(), std::string(what) + " out of range");
  return static_cast<uint32_t>(d);
}

in_addr ToIpv4(const Napi::Value& v, const char* what) {
  in_addr a;
  if (!v.IsString() || inet_pton(AF_INET, v.As<Napi::String>().Utf8Value().c_str(), &a) != 1) {
    throw ArgError(v.Env(), std::string(what) + " must be an IPv4 address");
  }
  return a;
}

}  // namespace

Napi::Function RawSender4::Define(Napi::Env env) {
  return DefineClass(env, "RawSender4",
                     {
                         InstanceMethod("send", &RawSender4::Send),
                         InstanceMethod("sendBatch", &RawSender4::SendBatch),
                         InstanceMethod("close", &RawSender4::Close),
                     });
}

RawSender4::RawSender4(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RawSender4>(info) {
  // Protocol 0: the socket is bound to no protocol, so it receives nothing.
  fd_ = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ErrnoError(info.Env(), errno, "socket", "AF_PACKET");
}

RawSender4::~RawSender4() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Appends the IPv4 header, UDP header and payload of one datagram to `out`.
void AppendDatagram(std::vector<uint8_t>& out, const uint8_t* payload, size_t len, in_addr src,
                    in_addr dst, uint16_t srcPort, uint16_t dstPort) {
  size_t at = out.size();
  size_t total = kIpHeader + kUdpHeader + len;
  out.resize(at + total);
  uint8_t* ip = out.data() + at;
  uint8_t* udp = ip + kIpHeader;
  std::memset(ip, 0, kIpHeader + kUdpHeader);
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  ip[8] = kTtl;
  ip[9] = IPPROTO_UDP;
  std::memcpy(ip + 12, &src, 4);
  std::memcpy(ip + 16, &dst, 4);
  uint16_t ipSum = Fold(Sum16(ip, kIpHeader, 0));
  ip[10] = static_cast<uint8_t>(ipSum >> 8);
  ip[11] = static_cast<uint8_t>(ipSum);

  size_t udpLen = kUdpHeader + len;
  udp[0] = static_cast<uint8_t>(srcPort >> 8);
  udp[1] = static_cast<uint8_t>(srcPort);
  udp[2] = static_cast<uint8_t>(dstPort >> 8);
  udp[3] = static_cast<uint8_t>(dstPort);
  udp[4] = static_cast<uint8_t>(udpLen >> 8);
  udp[5] = static_cast<uint8_t>(udpLen);
  if (len > 0) std::memcpy(udp + kUdpHeader, payload, len);
  // RFC 768 checksum over the pseudo-header, the header and the payload; 0 is sent as 0xffff.
  uint32_t sum = Sum16(ip + 12, 8, 0) + IPPROTO_UDP + static_cast<uint32_t>(udpLen);
  uint16_t udpSum = Fold(Sum16(udp, udpLen, sum));
  if (udpSum == 0) udpSum = 0xffff;
  udp[6] = static_cast<uint8_t>(udpSum >> 8);
  udp[7] = static_cast<uint8_t>(udpSum);
}

void FillTarget(sockaddr_ll* to, uint32_t ifindex, int halen) {
  to->sll_family = AF_PACKET;
  to->sll_protocol = htons(ETH_P_IP);
  to->sll_ifindex = static_cast<int>(ifindex);
  to->sll_halen = static_cast<unsigned char>(halen);
}

}  // namespace

Napi::Value RawSender4::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "sendto", "socket is closed");
  if (!info[0].IsTypedArray()) throw ArgError(env, "data must be a Uint8Array");
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  if (data.ByteLength() > kMaxPayload) throw ArgError(env, "data too long for one datagram");
  uint32_t ifindex = ToUint(info[1], 0x7fffffff, "ifindex");
  if (!info[2].IsString()) throw ArgError(env, "dstMac must be a string");
  sockaddr_ll to;
  std::memset(&to, 0, sizeof to);
  int halen = ParseMac(info[2].As<Napi::String>(), to.sll_addr);
  if (halen == 0) throw ArgError(env, "dstMac must look like aa:bb:cc:dd:ee:ff");
  in_addr src = ToIpv4(info[3], "srcAddr");
  in_addr dst = ToIpv4(info[4], "dstAddr");
  uint16_t srcPort = static_cast<uint16_t>(ToUint(info[5], 65535, "srcPort"));
  uint16_t dstPort = static_cast<uint16_t>(ToUint(info[6], 65535, "dstPort"));

  std::vector<uint8_t> packet;
  packet.reserve(kIpHeader + kUdpHeader + data.ByteLength());
  AppendDatagram(packet, data.Data(), data.ByteLength(), src, dst, srcPort, dstPort);
  FillTarget(&to, ifindex, halen);
  ssize_t sent = sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                        sizeof to);
  if (sent < 0) {
    std::string where = info[4].As<Napi::String>().Utf8Value() + " at " +
                        info[2].As<Napi::String>().Utf8Value();
    throw ErrnoError(env, errno, "sendto", where.c_str());
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value RawSender4::SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "sendmmsg", "socket is closed");
  if (!info[0].IsArray()) throw ArgError(env, "packets must be an array");
  Napi::Array packets = info[0].As<Napi::Array>();
  uint32_t n = packets.Length();
  if (n == 0) return env.Null();
  outFrames_.clear();
  outStarts_.resize(n + 1);
  outNames_.resize(n);
  outIovs_.resize(n);
  outMsgs_.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    std::string at = "packet " + std::to_string(i) + ": ";
    Napi::Value item = packets.Get(i);
    if (!item.IsObject()) throw ArgError(env, at + "not an object");
    Napi::Object p = item.As<Napi::Object>();
    Napi::Value data = p.Get("data");
    if (!data.IsTypedArray()) throw ArgError(env, at + "data must be a Uint8Array");
    Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
    if (bytes.ByteLength() > kMaxPayload) throw ArgError(env, at + "data too long");
    Napi::Value mac = p.Get("hwaddr");
    if (!mac.IsString()) throw ArgError(env, at + "hwaddr must be a string");
    sockaddr_ll& to = outNames_[i];
    std::memset(&to, 0, sizeof to);
    int halen = ParseMac(mac.As<Napi::String>(), to.sll_addr);
    if (halen == 0) throw ArgError(env, at + "hwaddr must look like aa:bb:cc:dd:ee:ff");
    FillTarget(&to, ToUint(p.Get("ifindex"), 0x7fffffff, "ifindex"), halen);
    outStarts_[i] = outFrames_.size();
    AppendDatagram(outFrames_, bytes.Data(), bytes.ByteLength(), ToIpv4(p.Get("srcAddr"), "srcAddr"),
                   ToIpv4(p.Get("dstAddr"), "dstAddr"),
                   static_cast<uint16_t>(ToUint(p.Get("srcPort"), 65535, "srcPort")),
                   static_cast<uint16_t>(ToUint(p.Get("dstPort"), 65535, "dstPort")));
  }
  outStarts_[n] = outFrames_.size();
  for (uint32_t i = 0; i < n; i++) {
    outIovs_[i].iov_base = outFrames_.data() + outStarts_[i];
    outIovs_[i].iov_len = outStarts_[i + 1] - outStarts_[i];
    msghdr& h = outMsgs_[i].msg_hdr;
    std::memset(&h, 0, sizeof h);
    h.msg_name = &outNames_[i];
    h.msg_namelen = sizeof(sockaddr_ll);
    h.msg_iov = &outIovs_[i];
    h.msg_iovlen = 1;
  }
  Napi::Array failures;
  bool failed = false;
  uint32_t done = 0;
  int retries = 0;
  while (done < n) {
    int r = sendmmsg(fd_, &outMsgs_[done], n - done, 0);
    if (r < 0) {
      if (errno == EINTR && ++retries < 16) continue;
      if (!failed) {
        failures = Napi::Array::New(env);
        failed = true;
      }
      Napi::Object f = Napi::Object::New(env);
      f.Set("index", done);
      f.Set("error", ErrnoError(env, errno, "sendmmsg").Value());
      failures.Set(failures.Length(), f);
      done++;
      continue;
    }
    done += static_cast<uint32_t>(r);
  }
  if (failed) return failures;
  return env.Null();
}

Napi::Value RawSender4::Close(const Napi::CallbackInfo& info) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return info.Env().Undefined();
}

}  // namespace nestor
