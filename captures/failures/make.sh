#!/usr/bin/env bash
# failures: client 127.0.0.90 -> HAProxy 127.0.0.22:80 -> web1 127.0.0.2:80, one new connection per case:
#   1. GET /              normal 200 (baseline)
#   2. GET /reset-mid     server sends headers + 2000 of 10000 body bytes, then RST
#   3. GET /slow-headers?ms=4000, client aborts after 500 ms with FIN (be_web: no abortonclose)
#   4. GET /slow-headers?ms=4000, client aborts after 500 ms with RST (be_web)
#   5. same as 3 with Host abort.itnihao.cn -> be_abortonclose (option abortonclose)
#   6. same as 4 with Host abort.itnihao.cn -> be_abortonclose
#   7. POST /upload announcing 100000 body bytes, sends 1000, aborts after 300 ms with FIN
#   8. same as 7 aborting with RST
#   9. GET /slow-headers?ms=4000, "timeout server 2s" fires before the headers -> 504
#  10. GET /              normal 200
source "$(dirname "$0")/../lib.sh"
scenario_init 40
port_free 127.0.0.22 80; port_free 127.0.0.2 80

start_tcpdump capture.pcap 'tcp and (host 127.0.0.90 or host 127.0.0.22 or host 127.0.0.2)'
start_bg web1 node "$TOOLS/http-backend.mjs" --addr 127.0.0.2 --port 80 --name web1 --log servers.jsonl
wait_port 127.0.0.2 80
start_haproxy haproxy.cfg

req() { # req NAME PATH [extra client args]
  local name=$1 path=$2 host=ww1.itnihao.cn; shift 2
  [[ $name == *abortonclose* ]] && host=abort.itnihao.cn
  local method=GET; [[ $path == /upload* ]] && method=POST
  timeout 15 node "$TOOLS/http-client.mjs" --src 127.0.0.90 --dst 127.0.0.22:80 --host $host \
    --req "${method:-GET} $path" --log clients.jsonl --name "$name" "$@"
  sleep 0.5
}
req 1-baseline /
req 2-reset-mid /reset-mid
req 3-client-abort-fin "/slow-headers?ms=4000" --abort-after 500
req 4-client-abort-rst "/slow-headers?ms=4000" --abort-after 500 --abort-rst
req 5-client-abort-fin-abortonclose "/slow-headers?ms=4000" --abort-after 500
req 6-client-abort-rst-abortonclose "/slow-headers?ms=4000" --abort-after 500 --abort-rst
req 7-upload-abort-fin "/upload 100000" --abort-after 300 --partial 1000
req 8-upload-abort-rst "/upload 100000" --abort-after 300 --partial 1000 --abort-rst
req 9-server-timeout "/slow-headers?ms=4000"
sleep 2
req 10-baseline /
sleep 0.5
stop_haproxy
stop_pid "${PIDS[1]}"
stop_tcpdump 1
summary
