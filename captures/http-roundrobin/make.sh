#!/usr/bin/env bash
# http-roundrobin: 12 x "GET /" Host ww1.itnihao.cn (new connection each) + 1 wrong Host,
# through HAProxy (127.0.0.22:80) to web1 127.0.0.2:80 (weight 1) / web2 127.0.0.3:80 (weight 2).
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --log servers.jsonl
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg
sleep 2.5   # let a couple of health-check rounds (inter 2s) happen

timeout 20 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host ww1.itnihao.cn \
  --req "GET /" --repeat 12 --gap 200 --log clients.jsonl --name client-www
timeout 10 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host www.example.com \
  --req "GET /" --log clients.jsonl --name client-wronghost

sleep 2     # one more health-check round
stop_haproxy
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
summary
