#!/usr/bin/env bash
# http-reuse-always: 8 short client connections (one request each, "Connection: close", alternating
# 127.0.0.90 / 127.0.0.91), then two concurrent keep-alive clients, through HAProxy 127.0.0.22:80
# with "http-reuse always" to web1 127.0.0.2:80 / web2 127.0.0.3:80: server connections outlive
# client connections and carry requests of several different client connections.
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.91 or host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl --keepalive-timeout 10000
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --log servers.jsonl --keepalive-timeout 10000
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg

for i in 1 2 3 4; do
  for src in 127.0.0.90 127.0.0.91; do
    timeout 10 node "$TOOLS/http-client.mjs" --src $src --dst 127.0.0.22:80 --host ww1.itnihao.cn \
      --req "GET /" --log clients.jsonl --name "close-$src"
    sleep 0.1
  done
done
CPIDS=()
for src in 127.0.0.90 127.0.0.91; do
  timeout 15 node "$TOOLS/http-client.mjs" --src $src --dst 127.0.0.22:80 --host ww1.itnihao.cn --keepalive \
    --req "GET /" --req "GET /index.html" --repeat 3 --gap 150 --log "clients-$src.tmp" --name "keepalive-$src" &
  CPIDS+=($!)
done
wait "${CPIDS[@]}"
cat clients-127.0.0.9?.tmp >> clients.jsonl; rm -f clients-127.0.0.9?.tmp
sleep 1
stop_haproxy   # soft stop closes the idle server connections
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
summary
