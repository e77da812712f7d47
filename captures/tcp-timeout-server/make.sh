#!/usr/bin/env bash
# tcp-timeout-server: slow client -> HAProxy tcp 127.0.0.22:9000 -> echo server 127.0.0.4:7.
# The client writes one byte every 4 s; "timeout server 3s" fires in each gap.
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 9000; port_free 127.0.0.4 7

ECHO_ARGS=${ECHO_ARGS:-}
CLIENT_ARGS=${CLIENT_ARGS:---interval 4 --count 5 --linger 2}
start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.22 or host 127.0.0.4)'
start_bg echo node "$TOOLS/echo-server.mjs" --addr 127.0.0.4 --port 7 --log servers.jsonl $ECHO_ARGS
wait_port 127.0.0.4 7
start_haproxy haproxy.cfg

timeout 35 node "$TOOLS/slow-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:9000 --log clients.jsonl --max 30 $CLIENT_ARGS

sleep 0.5
stop_haproxy
stop_pid "${PIDS[1]}"
stop_tcpdump 1
summary
