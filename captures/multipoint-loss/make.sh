#!/usr/bin/env bash
# multipoint-loss: captures/multipoint's four hosts (network namespaces cabled to a switch
# namespace), with packets made to disappear between two capture points for real. An nftables
# table in the switch namespace (bridge family, forward hook) drops the first copy of chosen
# segments as they cross a bridge: the sender's capture saw them, the receiver's never does, and
# TCP retransmits them. A table in the proxy namespace (inet input hook) drops one segment after
# the proxy's own capture saw it: lost inside the proxy host. Each rule drops one packet of one
# connection (marked by its request line), then lets that connection's retransmission pass.
# Creates only namespaces named ptmp<PID>-*, whose links and tables disappear with them.
source "$(dirname "$0")/../lib.sh"
scenario_init 50
require_tools ip editcap ss nft
rm -f client.pcap proxy.pcap web1.pcap web2.pcap nft-counters.txt tcpdump-*.err

NSP="ptmp$$"
NS_CLIENT=$NSP-client NS_PROXY=$NSP-proxy NS_WEB1=$NSP-web1 NS_WEB2=$NSP-web2 NS_SW=$NSP-sw
CREATED_NS=()

# Our own exit trap: lib.sh's (stop every PID we started) plus deleting the namespaces we created.
mp_cleanup() {
  local rc=$? i ns
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" TERM 3; done
  for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null && log "deleted netns $ns"; done
  rm -f tcpdump-*.err
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null && wait "$WATCHDOG_PID" 2>/dev/null
  exit $rc
}
trap mp_cleanup EXIT

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
  # Wire-sized segments, as on a real network: no GSO super-packets spanning several MSS.
  ip -n "$ns" link set "$ifname" gso_max_segs 1 gso_max_size 1500 up
}

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

# hex STRING : the bytes of STRING as one nft integer (raw payload matches take no strings)
hex() { printf '0x%s' "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')"; }
# The first 16 payload bytes of a request (@ih: the transport payload), 4 of a body segment.
REQ_FRONT=$(hex 'GET /?loss=front')        # its only segment, client -> proxy
REQ_FRONT_BODY=$(hex 'POST /?loss=fron') # its first body segment ('p' x 4), client -> proxy
REQ_FRONT_RESP=$(hex 'GET /big?loss=f&')   # its first response body segment ('x' x 4), proxy -> client
REQ_BACK=$(hex 'GET /?loss=back-')         # its only segment, proxy -> server
REQ_BACK_RESP=$(hex 'GET /big?loss=b&')    # its first response body segment, server -> proxy
REQ_PROXY_IN=$(hex 'GET /?loss=proxy')     # its only segment, dropped in the proxy host after its capture
PPPP=$(hex pppp) XXXX=$(hex xxxx)

# Switch: one drop per marked connection, keyed by the client end of the leg (address . port).
# A connection in a *_done set has had its drop: its retransmission and the rest pass.
in_ns "$NS_SW" nft -f - <<NFT
table bridge loss {
  set c2p_done  { type ipv4_addr . inet_service; flags dynamic; }
  set c2p_mark  { type ipv4_addr . inet_service; flags dynamic; }
  set p2c_done  { type ipv4_addr . inet_service; flags dynamic; }
  set p2c_mark  { type ipv4_addr . inet_service; flags dynamic; }
  set p2s_done  { type ipv4_addr . inet_service; flags dynamic; }
  set s2p_done  { type ipv4_addr . inet_service; flags dynamic; }
  set s2p_mark  { type ipv4_addr . inet_service; flags dynamic; }
  chain forward {
    type filter hook forward priority 0; policy accept;
    # front bridge, client -> proxy
    ip saddr 198.18.1.10 ip daddr 198.18.1.1 tcp dport 80 ip saddr . tcp sport @c2p_done accept
    ip saddr 198.18.1.10 ip daddr 198.18.1.1 tcp dport 80 @ih,0,128 $REQ_FRONT add @c2p_done { ip saddr . tcp sport } counter drop comment "front_get"
    ip saddr 198.18.1.10 ip daddr 198.18.1.1 tcp dport 80 @ih,0,128 $REQ_FRONT_BODY add @c2p_mark { ip saddr . tcp sport } accept
    ip saddr 198.18.1.10 ip daddr 198.18.1.1 tcp dport 80 ip saddr . tcp sport @c2p_mark @ih,0,32 $PPPP add @c2p_done { ip saddr . tcp sport } counter drop comment "front_post_body"
    ip saddr 198.18.1.10 ip daddr 198.18.1.1 tcp dport 80 @ih,0,128 $REQ_FRONT_RESP add @p2c_mark { ip saddr . tcp sport } accept
    # front bridge, proxy -> client
    ip saddr 198.18.1.1 tcp sport 80 ip daddr . tcp dport @p2c_done accept
    ip saddr 198.18.1.1 tcp sport 80 ip daddr . tcp dport @p2c_mark @ih,0,32 $XXXX add @p2c_done { ip daddr . tcp dport } counter drop comment "front_response_body"
    # back bridge, proxy -> server
    ip saddr 198.18.2.1 tcp dport 80 ip saddr . tcp sport @p2s_done accept
    ip saddr 198.18.2.1 tcp dport 80 @ih,0,128 $REQ_BACK add @p2s_done { ip saddr . tcp sport } counter drop comment "back_get"
    ip saddr 198.18.2.1 tcp dport 80 @ih,0,128 $REQ_BACK_RESP add @s2p_mark { ip saddr . tcp sport } accept
    # back bridge, server -> proxy
    ip daddr 198.18.2.1 tcp sport 80 ip daddr . tcp dport @s2p_done accept
    ip daddr 198.18.2.1 tcp sport 80 ip daddr . tcp dport @s2p_mark @ih,0,32 $XXXX add @s2p_done { ip daddr . tcp dport } counter drop comment "back_response_body"
  }
}
NFT
# Proxy host: the input hook runs after the capture tap, so proxy.pcap holds what its stack never got.
in_ns "$NS_PROXY" nft -f - <<NFT
table inet loss {
  set done { type ipv4_addr . inet_service; flags dynamic; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr . tcp sport @done accept
    ip daddr 198.18.1.1 tcp dport 80 @ih,0,128 $REQ_PROXY_IN add @done { ip saddr . tcp sport } counter drop comment "proxy_input_get"
  }
}
NFT

# ns_wait_port NS ADDR PORT
ns_wait_port() {
  local i
  for ((i = 0; i < 50; i++)); do in_ns "$1" ss -Htln "src $2 and sport = :$3" | grep -q . && return 0; sleep 0.1; done
  die "nothing listening on $2:$3 in $1"
}
# ns_tcpdump NAME NS IFACE : one tcpdump per namespace, all running at the same time
TCPDUMP_PIDS=()
ns_tcpdump() {
  local name=$1 ns=$2 iface=$3 i
  : > "tcpdump-$name.err"
  BG_ERR=tcpdump-$name.err start_bg "tcpdump-$name" ip netns exec "$ns" tcpdump -i "$iface" -s 0 -U --immediate-mode -B 65536 -n -Z root -w "$name.pcap" tcp
  TCPDUMP_PIDS+=("$LAST_PID")
  for ((i = 0; i < 50; i++)); do grep -q "listening on" "tcpdump-$name.err" && return 0; sleep 0.1; done
  die "tcpdump in $ns did not start: $(cat "tcpdump-$name.err")"
}

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
sleep 1   # the first health checks

# One request per connection, 400 ms apart (a retransmission timeout is 200 ms or more), in this order.
timeout 25 ip netns exec "$NS_CLIENT" node "$TOOLS/http-client.mjs" --src 198.18.1.10 --dst 198.18.1.1:80 \
  --host mp.example --gap 400 --log clients.jsonl --name client \
  --req "GET /" \
  --req "GET /?loss=front" \
  --req "POST /?loss=front-body 4000" \
  --req "GET /big?loss=f&bytes=6000" \
  --req "GET /?loss=back-get" \
  --req "GET /big?loss=b&bytes=6000" \
  --req "GET /?loss=proxy-in" \
  --req "POST /upload 1600"

sleep 1
stop_haproxy
stop_pid "$WEB1_PID"; stop_pid "$WEB2_PID"
sleep 0.5
for pid in "${TCPDUMP_PIDS[@]}"; do stop_pid "$pid" INT 5; done
for f in tcpdump-*.err; do
  log "$f: $(grep -E 'captured|dropped' "$f" | tr '\n' ' ')"
  n=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$f")
  [ "${n:-0}" = 0 ] || die "$f: $n packets dropped by kernel: a capture is incomplete, run again"
done

# The truth: what each rule dropped (nft's own counters), kept with the captures.
{ echo "# switch namespace (bridge family, forward hook)"; in_ns "$NS_SW" nft list chain bridge loss forward
  echo "# proxy namespace (inet family, input hook)"; in_ns "$NS_PROXY" nft list chain inet loss input; } \
  | grep -E '^#|counter' | sed -E 's/0x[0-9a-f]{9,}/<request>/g; s/^[[:space:]]+/  /' > nft-counters.txt
cat nft-counters.txt >&2

for f in client proxy web1 web2; do
  log "$f.pcap: $(tshark -r "$f.pcap" -q -z conv,tcp 2>/dev/null | grep -c '<->') TCP conversations, $(stat -c %s "$f.pcap") bytes"
done
log "haproxy.log:"; cat haproxy.log >&2
