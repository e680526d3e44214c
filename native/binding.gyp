{
  # Nestor's UDP sockets for DHCP (Linux only): recvmmsg/sendmmsg batches, IP_PKTINFO and
  # IPV6_RECVPKTINFO, SO_BINDTODEVICE, ff02::1:2 membership. Node-API through node-addon-api,
  # so one build loads on every Node.js version that has NAPI_VERSION 8.
  "targets": [
    {
      "target_name": "nestor_net",
      "sources": ["src/addon.cc", "src/udp_socket.cc", "src/interfaces.cc", "src/errors.cc", "src/raw_sender.cc", "src/packet_socket.cc", "src/unix_dgram.cc", "src/batch_socket.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux'", {"type": "none", "sources": []}]
      ]
    }
  ]
}
