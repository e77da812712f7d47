#!/usr/bin/env bash
# nginx-proxy: nginx (127.0.0.22:80, upstream connections from 127.0.0.23 via proxy_bind, upstream keepalive 4)
# in front of web1 127.0.0.2:80 / web2 127.0.0.3:80 (round robin).
#   client 127.0.0.90: 6 x GET / , new connection each ("Connection: close")
#   client 127.0.0.91: one keep-alive connection: 2 x (GET / ; POST /upload 2000 ; GET /chunked)
source "$(dirname "$0")/../lib.sh"
scenario_init 40
require_tools nginx
rm -f nginx-access.log nginx-error.log
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80
mkdir -p /tmp/proxytrace-nginx

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.91 or host 127.0.0.22 or host 127.0.0.23 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl --keepalive-timeout 10000
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --log servers.jsonl --keepalive-timeout 10000
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
nginx -t -q -p "$SCEN_DIR/" -c nginx.conf -e /tmp/proxytrace-nginx/error.log || die "invalid nginx.conf"
start_bg nginx nginx -p "$SCEN_DIR/" -c nginx.conf -e /tmp/proxytrace-nginx/error.log
NGINX_PID=$LAST_PID
wait_port 127.0.0.22 80

timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host ww1.itnihao.cn \
  --req "GET /" --repeat 6 --gap 150 --log clients.jsonl --name client90-close
timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.91 --dst 127.0.0.22:80 --host ww1.itnihao.cn --keepalive \
  --req "GET /" --req "POST /upload 2000" --req "GET /chunked" --repeat 2 --gap 150 --log clients.jsonl --name client91-keepalive
sleep 1
stop_pid "$NGINX_PID" QUIT 5      # graceful stop: closes the idle upstream keepalive connections
grep -v -E 'using the "epoll"|nginx/1|built by|OS: |getrlimit|start worker|signal [0-9]+ .SIGCHLD|SIGQUIT|gracefully shutting|exiting|exit$|worker process [0-9]+ exited' /tmp/proxytrace-nginx/error.log > nginx-error.log || true
[ -s nginx-error.log ] || rm -f nginx-error.log
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
log "conversations:"; tshark -r capture.pcap -q -z conv,tcp 2>/dev/null | sed -n '/<->/p' >&2
log "nginx-access.log:"; cat nginx-access.log >&2
ls -l capture.pcap >&2
rm -rf /tmp/proxytrace-nginx
