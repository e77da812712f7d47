#!/usr/bin/env bash
# http-keepalive: two keep-alive clients (127.0.0.90, 127.0.0.91) each send 2 rounds of
# GET / ; POST /upload (3000-byte body) ; GET /chunked ; GET /index.html over ONE client connection,
# through HAProxy 127.0.0.22:80 (option http-keep-alive) to web1 127.0.0.2:80 / web2 127.0.0.3:80.
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.91 or host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --log servers.jsonl
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg

client() { # client SRC NAME
  timeout 20 node "$TOOLS/http-client.mjs" --src "$1" --dst 127.0.0.22:80 --host ww1.itnihao.cn --keepalive \
    --req "GET /" --req "POST /upload 3000" --req "GET /chunked" --req "GET /index.html" \
    --repeat 2 --gap 100 --log "clients-$2.tmp" --name "$2"
}
client 127.0.0.90 client90 & C1=$!
sleep 0.05
client 127.0.0.91 client91 & C2=$!
wait $C1 $C2 || die "client failed"
cat clients-client90.tmp clients-client91.tmp > clients.jsonl; rm -f clients-client9?.tmp

sleep 3.5   # let HAProxy's/servers' idle keep-alive connections time out (timeout http-keep-alive 3s)
stop_haproxy
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
summary
