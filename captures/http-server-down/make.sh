#!/usr/bin/env bash
# http-server-down: backend be_web's only server web1 (127.0.0.2:80) has nothing listening.
# The first health check already marks web1 DOWN, then:
#   request 1 (Host ww1.itnihao.cn -> be_web): 503 from HAProxy, no server connection (<NOSRV>)
#   request 2 (Host nocheck.itnihao.cn -> be_nocheck, same dead address, no checks): HAProxy connects,
#             gets RST, retries (retries 2), then answers 503
#   request 3 (Host ww1.itnihao.cn): 503 <NOSRV> again
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.22 or host 127.0.0.2)'
start_haproxy haproxy.cfg
for i in $(seq 50); do grep -q "is DOWN" haproxy.log && break; sleep 0.2; done
grep -q "is DOWN" haproxy.log || die "web1 was not marked DOWN"
req() { # req HOST NAME
  timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host "$1" \
    --req "GET /" --log clients.jsonl --name "$2"
  sleep 0.3
}
req ww1.itnihao.cn client-1-checked-down
req nocheck.itnihao.cn client-2-nocheck
req ww1.itnihao.cn client-3-checked-down
sleep 1
stop_haproxy
stop_tcpdump 1
summary
