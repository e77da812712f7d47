#!/usr/bin/env bash
# concurrent-identical: 4 connections send the byte-identical "GET /" (Host ww1.itnihao.cn) in the
# same tick, through HAProxy 127.0.0.22:80 (roundrobin, keep-alive) to web1 127.0.0.2:80 / web2
# 127.0.0.3:80, which stamp every answer with X-Serial (web1-N / web2-N). Four phases of 3 rounds:
#   1. new connections, sources .90 .91 .90 .91      3. keep-alive, sources .90 .91 .90 .91
#   2. new connections, all from .90                 4. keep-alive, all from .90
# With one source address, X-Forwarded-For is the same for all four: only ports, timing and order
# tell them apart.
source "$(dirname "$0")/../lib.sh"
scenario_init 50
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

# Bursts of ~50 packets within a millisecond: with immediate mode and -s 0 the kernel ring holds only
# a few packets at the default 2 MiB (each slot is snaplen-sized), so give it room; 0 drops required below.
TCPDUMP_OPTS="-U --immediate-mode -B 65536" start_tcpdump capture.pcap 'tcp port 80 and (host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --serial --log servers.jsonl
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --serial --log servers.jsonl
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg

burst() { # burst NAME SRCS [--keepalive]
  local name=$1 srcs=$2; shift 2
  timeout 20 node "$TOOLS/burst-client.mjs" --src "$srcs" --dst 127.0.0.22:80 --host ww1.itnihao.cn \
    --rounds 3 --gap 150 --log clients.jsonl --name "$name" "$@" || die "$name failed"
}
burst new-mixed 127.0.0.90,127.0.0.91,127.0.0.90,127.0.0.91
sleep 0.3
burst new-same 127.0.0.90,127.0.0.90,127.0.0.90,127.0.0.90
sleep 0.3
burst ka-mixed 127.0.0.90,127.0.0.91,127.0.0.90,127.0.0.91 --keepalive
sleep 0.3
burst ka-same 127.0.0.90,127.0.0.90,127.0.0.90,127.0.0.90 --keepalive

sleep 3.5   # let idle keep-alive connections close before the soft stop (timeout http-keep-alive 3s)
stop_haproxy
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
stop_tcpdump 1
[ "${TCPDUMP_DROPPED:-?}" = 0 ] || die "tcpdump dropped ${TCPDUMP_DROPPED:-?} packets: capture incomplete, run again"
summary
