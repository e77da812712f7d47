#!/usr/bin/env bash
# bench: large capture of real HAProxy http traffic -> captures/bench/bench.pcap (gitignored).
#   captures/bench/make.sh [PACKETS]      (default 1000000)
# Load: tools/load-client.mjs, 32 concurrent connections from 127.0.0.90 and 127.0.0.91
# (mixed: 3/4 keep-alive connections with up to 100 requests each, 1/4 one request per connection,
# every 10th request a 512-byte POST), through HAProxy 127.0.0.22:80 to web1 127.0.0.2:80 / web2 127.0.0.3:80.
# tcpdump stops by itself after PACKETS packets (-c); the whole run is bounded to 180 s.
PKTS=${1:-1000000}
source "$(dirname "$0")/../lib.sh"
scenario_init 180
rm -f bench.pcap load.jsonl
port_free 127.0.0.22 80; port_free 127.0.0.2 80; port_free 127.0.0.3 80

TCPDUMP_OPTS="-B 262144 -c $PKTS" start_tcpdump bench.pcap \
  'tcp and (host 127.0.0.90 or host 127.0.0.91 or host 127.0.0.22 or host 127.0.0.2 or host 127.0.0.3)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --quiet
start_bg web2 node "$TOOLS/http-backend.mjs" --addr 127.0.0.3 --port 80 --name web2 --quiet
wait_port 127.0.0.2 80; wait_port 127.0.0.3 80
start_haproxy haproxy.cfg
start_bg load node "$TOOLS/load-client.mjs" --dst 127.0.0.22:80 --src 127.0.0.90,127.0.0.91 --host ww1.itnihao.cn \
  --requests 0 --concurrency 32 --mode mixed --per-conn 100 --post-every 10 --duration 170 --log load.jsonl
LOAD_PID=$LAST_PID
T0=$SECONDS
# tcpdump exits on its own after $PKTS packets
while kill -0 "$TCPDUMP_PID" 2>/dev/null; do
  kill -0 "$LOAD_PID" 2>/dev/null || die "load client exited before $PKTS packets were captured"
  sleep 1
done
wait "$TCPDUMP_PID" 2>/dev/null || true
log "tcpdump done after $((SECONDS - T0)) s"; grep -E "captured|dropped" tcpdump.err >&2 || true; rm -f tcpdump.err
stop_pid "$LOAD_PID" TERM 5
stop_haproxy
stop_pid "${PIDS[1]}"; stop_pid "${PIDS[2]}"
ls -l bench.pcap >&2
log "haproxy log lines: $(wc -l < haproxy.log)"
