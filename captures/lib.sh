# Common helpers for captures/<scenario>/make.sh. Source it; do not run it.
# Every process a scenario starts is recorded in PIDS and stopped by PID on exit.
set -euo pipefail

CAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$CAP_ROOT/tools
PIDS=()
WATCHDOG_PID=
TCPDUMP_PID=
HAPROXY_PID=
TCPDUMP_DROPPED=

die() { echo "ERROR: $*" >&2; exit 1; }
log() { echo "[$(date +%T.%3N)] $*" >&2; }

require_root() { [ "$(id -u)" = 0 ] || die "must run as root (tcpdump on lo, binding port 80)"; }
require_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || die "required tool '$t' not found (apt-get install -y haproxy tcpdump tshark nginx-light nodejs)"; done
}

# start_bg NAME CMD...  -> runs CMD in the background, remembers its PID in LAST_PID
# (stdout/stderr of CMD go to $BG_OUT / $BG_ERR if set, else to our stderr)
start_bg() {
  local name=$1; shift
  "$@" >"${BG_OUT:-/dev/stderr}" 2>"${BG_ERR:-/dev/stderr}" &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  log "started $name pid=$LAST_PID"
}

stop_pid() { # stop_pid PID [SIGNAL] [WAIT_SECONDS]
  local pid=$1 sig=${2:-TERM} w=${3:-5} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < w * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "pid $pid still alive after SIG$sig, sending KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" TERM 3; done
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null && wait "$WATCHDOG_PID" 2>/dev/null
  exit $rc
}

# scenario_init MAX_SECONDS : cd into the scenario dir, clean old outputs, arm watchdog + cleanup.
scenario_init() {
  local max=${1:-40}
  require_root
  require_tools haproxy tcpdump tshark node timeout
  SCEN_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
  cd "$SCEN_DIR"
  rm -f capture.pcap haproxy.log haproxy.stderr clients.jsonl servers.jsonl
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  # Watchdog: bounds the whole scenario run time.
  ( trap 'kill $s 2>/dev/null; exit 0' TERM
    sleep "$max" & s=$!; wait $s
    echo "WATCHDOG: scenario exceeded ${max}s, aborting" >&2; kill -TERM $$ ) &
  WATCHDOG_PID=$!
  log "scenario $(basename "$SCEN_DIR") (max ${max}s)"
}

# start_tcpdump FILE FILTER...   (extra tcpdump options in $TCPDUMP_OPTS, default "-U --immediate-mode -B 65536":
# a 64 MiB buffer, as the default 2 MiB holds few loopback frames of 64 KiB in a burst;
# without immediate mode, packets of the last partly-filled TPACKET_V3 block can be lost on SIGINT)
start_tcpdump() {
  local file=$1; shift
  : > tcpdump.err
  BG_ERR=tcpdump.err start_bg tcpdump tcpdump -i lo -s 0 ${TCPDUMP_OPTS:--U --immediate-mode -B 65536} -n -Z root -w "$file" "$@"
  TCPDUMP_PID=$LAST_PID
  local i
  for ((i = 0; i < 50; i++)); do grep -q "listening on" tcpdump.err && break; sleep 0.1; done
  grep -q "listening on" tcpdump.err || die "tcpdump did not start: $(cat tcpdump.err)"
}
# stop_tcpdump [SETTLE_SECONDS] : SIGINT so it flushes, then print its stats;
# TCPDUMP_DROPPED is then the "dropped by kernel" count; any drop fails the scenario.
stop_tcpdump() {
  sleep "${1:-1}"
  stop_pid "$TCPDUMP_PID" INT 5
  grep -E "captured|dropped" tcpdump.err >&2 || true
  TCPDUMP_DROPPED=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' tcpdump.err)
  rm -f tcpdump.err
  # A capture with packets missing would be committed as if complete: fail instead.
  [ "${TCPDUMP_DROPPED:-0}" = 0 ] || die "tcpdump: $TCPDUMP_DROPPED packets dropped by kernel: the capture is incomplete, run again"
}

# start_haproxy CFG : haproxy in foreground (-db); its stdout (log lines) goes to haproxy.log
start_haproxy() {
  haproxy -c -q -f "$1" || die "invalid haproxy config $1"
  BG_OUT=haproxy.log BG_ERR=haproxy.stderr start_bg haproxy haproxy -db -f "$1"
  HAPROXY_PID=$LAST_PID
  sleep 0.5
  kill -0 "$HAPROXY_PID" 2>/dev/null || die "haproxy exited: $(cat haproxy.stderr)"
}
# stop_haproxy : soft stop (SIGUSR1) lets running streams finish and log, then exit.
stop_haproxy() {
  stop_pid "$HAPROXY_PID" USR1 5
  # keep stderr only if it holds more than the warnings already present in haproxy.log
  grep -qv -E "^\[(WARNING|NOTICE)\]" haproxy.stderr 2>/dev/null || rm -f haproxy.stderr
}

# wait_port ADDR PORT : wait until something listens there
wait_port() {
  local i
  for ((i = 0; i < 50; i++)); do
    ss -Htln "src $1 and sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  die "nothing listening on $1:$2"
}
# port_free ADDR PORT : fail if something already listens there
port_free() { ! ss -Htln "src $1 and sport = :$2" | grep -q . || die "$1:$2 is already in use"; }

summary() {
  log "conversations:"
  tshark -r capture.pcap -q -z conv,tcp 2>/dev/null | sed -n '/<->/p' >&2 || true
  log "haproxy.log:"; cat haproxy.log >&2
  ls -l capture.pcap >&2
}
