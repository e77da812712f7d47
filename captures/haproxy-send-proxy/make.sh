#!/usr/bin/env bash
# haproxy-send-proxy: clients 127.0.0.90 (4 requests) and 127.0.0.91 (2 requests), new connection each,
# through HAProxy 127.0.0.22:80 to web1 127.0.0.2:80 (send-proxy, v1) / web2 127.0.0.3:80 (send-proxy-v2).
# The backends run with --accept-proxy and record each PROXY header they receive in servers.jsonl.
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.91 or host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --accept-proxy --log servers.jsonl
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --accept-proxy --log servers.jsonl
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg
sleep 1
timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host ww1.itnihao.cn \
  --req "GET /" --repeat 4 --gap 200 --log clients.jsonl --name client90
timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.91 --dst 127.0.0.22:80 --host ww1.itnihao.cn \
  --req "GET /" --repeat 2 --gap 200 --log clients.jsonl --name client91
sleep 1.5
stop_haproxy
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
summary
