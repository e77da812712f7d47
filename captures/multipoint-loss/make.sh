#!/usr/bin/env bash
# multipoint-loss: captures/multipoint's four hosts (network namespaces cabled to a switch
# namespace), with packets made to disappear between two capture points for real. An nftables
# table in the switch namespace (bridge family, forward hook) drops the first copy of chosen
# segments as they cross a bridge: the sender's capture saw them, the receiver's never does, and
# TCP retransmits them. A table in the proxy namespace (inet input hook) drops one segment after
# the proxy's own capture saw it: lost inside the proxy host. Each rule drops one packet of one
# connection (marked by its request line), then lets that connection's retransmission pass.
# The hosts come from ../netns.sh (namespaces ptmp<PID>-* only, whose links and tables go with them).
source "$(dirname "$0")/../lib.sh"
scenario_init 50
require_tools ip editcap ss nft
rm -f client.pcap proxy.pcap web1.pcap web2.pcap nft-counters.txt tcpdump-*.err

# Wire-sized segments, as on a real network: no GSO super-packets spanning several MSS.
HOST_LINK_OPTS="gso_max_segs 1 gso_max_size 1500"
source "$CAP_ROOT/netns.sh"
build_hosts

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

start_hosts
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
stop_hosts

# The truth: what each rule dropped (nft's own counters), kept with the captures.
{ echo "# switch namespace (bridge family, forward hook)"; in_ns "$NS_SW" nft list chain bridge loss forward
  echo "# proxy namespace (inet family, input hook)"; in_ns "$NS_PROXY" nft list chain inet loss input; } \
  | grep -E '^#|counter' | sed -E 's/0x[0-9a-f]{9,}/<request>/g; s/^[[:space:]]+/  /' > nft-counters.txt
cat nft-counters.txt >&2

log_captures
