# Network-namespace hosts for the multi-point scenarios (captures/multipoint*/make.sh). Source it
# after lib.sh's scenario_init. Hosts client, proxy, web1, web2 are namespaces cabled with veth
# pairs to a fifth one (sw) holding two bridges: front (client, proxy eth0) and back (proxy eth1,
# web1, web2). Addresses come from 198.18.0.0/15 and exist only inside those namespaces. Creates
# only namespaces named ptmp<PID>-*, whose links disappear with them; all torn down on exit.

NSP="ptmp$$"
NS_CLIENT=$NSP-client NS_PROXY=$NSP-proxy NS_WEB1=$NSP-web1 NS_WEB2=$NSP-web2 NS_SW=$NSP-sw
CREATED_NS=()
TCPDUMP_PIDS=()
# Extra `ip link set` arguments for each host interface (e.g. GSO limits).
HOST_LINK_OPTS=${HOST_LINK_OPTS:-}

# Our own exit trap: lib.sh's (stop every PID we started) plus deleting the namespaces we created.
netns_cleanup() {
  local rc=$? i ns
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" TERM 3; done
  for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null && log "deleted netns $ns"; done
  rm -f tcpdump-*.err
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null && wait "$WATCHDOG_PID" 2>/dev/null
  exit $rc
}
trap netns_cleanup EXIT

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
new_ns() {
  ! ip netns list | grep -qw "$1" || die "netns $1 already exists"
  ip netns add "$1"; CREATED_NS+=("$1")
  ip -n "$1" link set lo up
}
# cable HOST_NS HOST_IF ADDR/LEN BRIDGE SW_PORT : a veth pair from a host namespace to a bridge in sw
cable() {
  local ns=$1 ifname=$2 addr=$3 br=$4 port=$5
  ip -n "$NS_SW" link add name "$port" type veth peer name "$ifname" netns "$ns"
  ip -n "$NS_SW" link set "$port" master "$br" up
  ip -n "$ns" addr add "$addr" dev "$ifname"
  # shellcheck disable=SC2086 # HOST_LINK_OPTS is a list of arguments
  ip -n "$ns" link set "$ifname" $HOST_LINK_OPTS up
}

# build_hosts : the five namespaces, the two bridges and the cables.
build_hosts() {
  local ns br
  log "creating namespaces $NSP-{client,proxy,web1,web2,sw}"
  for ns in "$NS_SW" "$NS_CLIENT" "$NS_PROXY" "$NS_WEB1" "$NS_WEB2"; do new_ns "$ns"; done
  for br in front back; do
    ip -n "$NS_SW" link add name "$br" type bridge
    ip -n "$NS_SW" link set "$br" up
  done
  cable "$NS_CLIENT" eth0 198.18.1.10/24 front c0
  cable "$NS_PROXY"  eth0 198.18.1.1/24  front pf
  cable "$NS_PROXY"  eth1 198.18.2.1/24  back  pb
  cable "$NS_WEB1"   eth0 198.18.2.11/24 back  w1
  cable "$NS_WEB2"   eth0 198.18.2.12/24 back  w2
}

# ns_wait_port NS ADDR PORT
ns_wait_port() {
  local i
  for ((i = 0; i < 50; i++)); do in_ns "$1" ss -Htln "src $2 and sport = :$3" | grep -q . && return 0; sleep 0.1; done
  die "nothing listening on $2:$3 in $1"
}

# ns_tcpdump NAME NS IFACE : one tcpdump per namespace, all running at the same time
ns_tcpdump() {
  local name=$1 ns=$2 iface=$3 i
  : > "tcpdump-$name.err"
  BG_ERR=tcpdump-$name.err start_bg "tcpdump-$name" ip netns exec "$ns" tcpdump -i "$iface" -s 0 -U --immediate-mode -B 65536 -n -Z root -w "$name.pcap" tcp
  TCPDUMP_PIDS+=("$LAST_PID")
  for ((i = 0; i < 50; i++)); do grep -q "listening on" "tcpdump-$name.err" && return 0; sleep 0.1; done
  die "tcpdump in $ns did not start: $(cat "tcpdump-$name.err")"
}

# start_hosts : a tcpdump per host, the two backends, HAProxy (haproxy.cfg) in the proxy namespace.
start_hosts() {
  ns_tcpdump client "$NS_CLIENT" eth0
  ns_tcpdump proxy  "$NS_PROXY"  any
  ns_tcpdump web1   "$NS_WEB1"   eth0
  ns_tcpdump web2   "$NS_WEB2"   eth0
  start_bg web1 ip netns exec "$NS_WEB1" node "$TOOLS/http-backend.mjs" --addr 198.18.2.11 --port 80 --name web1 --log servers.jsonl
  WEB1_PID=$LAST_PID
  start_bg web2 ip netns exec "$NS_WEB2" node "$TOOLS/http-backend.mjs" --addr 198.18.2.12 --port 80 --name web2 --log servers.jsonl
  WEB2_PID=$LAST_PID
  ns_wait_port "$NS_WEB1" 198.18.2.11 80; ns_wait_port "$NS_WEB2" 198.18.2.12 80
  haproxy -c -q -f haproxy.cfg || die "invalid haproxy.cfg"
  BG_OUT=haproxy.log BG_ERR=haproxy.stderr start_bg haproxy ip netns exec "$NS_PROXY" haproxy -db -f haproxy.cfg
  HAPROXY_PID=$LAST_PID
  ns_wait_port "$NS_PROXY" 198.18.1.1 80
}

# stop_hosts : HAProxy, the backends, then the captures (flushed); any packet a tcpdump dropped fails the run.
stop_hosts() {
  local pid f n
  stop_haproxy
  stop_pid "$WEB1_PID"; stop_pid "$WEB2_PID"
  sleep 0.5
  for pid in "${TCPDUMP_PIDS[@]}"; do stop_pid "$pid" INT 5; done
  for f in tcpdump-*.err; do
    log "$f: $(grep -E 'captured|dropped' "$f" | tr '\n' ' ')"
    n=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$f")
    [ "${n:-0}" = 0 ] || die "$f: $n packets dropped by kernel: a capture is incomplete, run again"
  done
}

# log_captures : conversations and size of each host's file, then HAProxy's log.
log_captures() {
  local f
  for f in client proxy web1 web2; do
    log "$f.pcap: $(tshark -r "$f.pcap" -q -z conv,tcp 2>/dev/null | grep -c '<->') TCP conversations, $(stat -c %s "$f.pcap") bytes"
  done
  log "haproxy.log:"; cat haproxy.log >&2
}
