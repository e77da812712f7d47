#!/usr/bin/env bash
# Regenerate the capture scenarios (needs root: tcpdump on lo, binding ports 80/7/9000 on 127.0.0.x).
#   captures/make-all.sh              all small scenarios (their outputs are committed)
#   captures/make-all.sh --bench      the same plus the large bench capture (bench/bench.pcap, gitignored)
#   captures/make-all.sh NAME...      only the named scenarios
# Each scenario is bounded by its own watchdog and, here, by `timeout`.
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "ERROR: make-all.sh must run as root (tcpdump on lo, ports 80/7/9000)" >&2; exit 1; }
for t in haproxy tcpdump tshark editcap nginx node timeout ss ip nft; do
  command -v "$t" >/dev/null 2>&1 || { echo "ERROR: required tool '$t' missing (apt-get install -y haproxy tcpdump tshark nginx-light nodejs iproute2 nftables)" >&2; exit 1; }
done
SCENARIOS=(http-roundrobin tcp-timeout-server tcp-timeout-client http-keepalive http-server-down
           nginx-proxy haproxy-send-proxy http-reuse-always failures concurrent-identical multipoint
           multipoint-loss)
BENCH=0
if [ "${1:-}" = --bench ]; then BENCH=1; shift; fi
[ $# -gt 0 ] && SCENARIOS=("$@")
[ $BENCH = 1 ] && SCENARIOS+=(bench)
failed=()
for s in "${SCENARIOS[@]}"; do
  [ -f "$s/make.sh" ] || { echo "ERROR: no scenario $s" >&2; failed+=("$s"); continue; }
  limit=60; [ "$s" = bench ] && limit=200
  echo "=== $s"
  if ! timeout -k 5 "$limit" bash "$s/make.sh" > "$s/make.out" 2>&1; then
    echo "FAILED: $s (see $s/make.out)"; failed+=("$s"); continue
  fi
  rm -f "$s/make.out"
  for f in "$s"/capture.pcap "$s"/bench.pcap; do [ -f "$f" ] && echo "    $(basename "$f"): $(stat -c %s "$f") bytes"; done
  if [ "$s" != bench ]; then
    for f in "$s"/haproxy.log "$s"/nginx-access.log; do
      [ -f "$f" ] && grep -E '^127\.0\.0\.[0-9]+:[0-9]+ \[' "$f" | cut -c1-150 | sed 's/^/    /' || true
    done
  fi
done
[ ${#failed[@]} = 0 ] || { echo "FAILED scenarios: ${failed[*]}" >&2; exit 1; }
echo "all done"
