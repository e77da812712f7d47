/**
 * HAProxy 2.6 keyword lists (configuration manual 3, 4.1 and 5.2): a statement whose keyword is
 * not here is one the parser does not understand, and is kept as an unknown directive.
 */

const words = (s: string): ReadonlySet<string> => new Set(s.trim().split(/\s+/));

/** First words of proxy keywords (the 4.1 matrix). */
export const PROXY_KEYWORDS = words(`
  acl backlog balance bind bind-process capture clitcpka-cnt clitcpka-idle clitcpka-intvl compression
  cookie declare default-server default_backend description disabled dispatch email-alert enabled
  error-log-format errorfile errorfiles errorloc errorloc302 errorloc303 external-check filter
  force-persist fullconn hash-type http-after-response http-check http-error http-request
  http-response http-reuse http-send-name-header id ignore-persist load-server-state-from-file log
  log-format log-format-sd log-tag max-keep-alive-queue maxconn mode monitor monitor-uri option persist
  rate-limit redirect retries retry-on server server-state-file-name server-template source
  srvtcpka-cnt srvtcpka-idle srvtcpka-intvl stats stick stick-table tcp-check tcp-request tcp-response
  timeout transparent unique-id-format unique-id-header use-fcgi-app use-server use_backend`);

export const OPTION_NAMES = words(`
  abortonclose accept-invalid-http-request accept-invalid-http-response allbackups checkcache clitcpka
  contstats disable-h2-upgrade dontlog-normal dontlognull forwardfor h1-case-adjust-bogus-client
  h1-case-adjust-bogus-server http-buffer-request http-ignore-probes http-keep-alive http-no-delay
  http-pretend-keepalive http-restrict-req-hdr-names http-server-close http-use-proxy-header httpchk
  httpclose httplog httpslog independent-streams ldap-check external-check log-health-checks
  log-separate-errors logasap mysql-check nolinger originalto persist pgsql-check prefer-last-server
  redispatch redis-check smtpchk socket-stats splice-auto splice-request splice-response spop-check
  srvtcpka ssl-hello-chk tcp-check tcp-smart-accept tcp-smart-connect tcpka tcplog transparent
  idle-close-on-response`);

export const TIMEOUT_NAMES = words(`check client client-fin connect http-keep-alive http-request queue server server-fin tarpit tunnel`);

/** Options that select how health checks are made: the last one set wins. */
export const CHECK_OPTIONS = words(`httpchk tcp-check ssl-hello-chk smtpchk pgsql-check redis-check mysql-check ldap-check spop-check external-check`);

/** Server keywords without a value. */
export const SERVER_FLAGS = words(`
  agent-check allow-0rtt backup check check-send-proxy check-ssl check-via-socks4 disabled enabled
  force-sslv3 force-tlsv10 force-tlsv11 force-tlsv12 force-tlsv13 no-agent-check no-backup no-check
  no-check-ssl no-send-proxy no-send-proxy-v2 no-send-proxy-v2-ssl no-send-proxy-v2-ssl-cn no-ssl
  no-ssl-reuse no-sslv3 no-tls-tickets no-tlsv10 no-tlsv11 no-tlsv12 no-tlsv13 no-verifyhost no-tfo
  non-stick send-proxy send-proxy-v2 send-proxy-v2-ssl send-proxy-v2-ssl-cn ssl ssl-reuse stick tfo
  tls-tickets`);

/** Server keywords followed by one value ("source" is special: usesrc / interface may follow). */
export const SERVER_VALUE_KEYWORDS = words(`
  addr agent-send agent-inter agent-addr agent-port alpn ca-file check-alpn check-proto check-sni
  ciphers ciphersuites cookie crl-file crt curves error-limit fall id init-addr inter fastinter
  downinter log-proto maxconn maxqueue max-reuse minconn namespace npn observe on-error on-marked-down
  on-marked-up pool-low-conn pool-max-conn pool-purge-delay port proto proxy-v2-options redir rise
  resolve-opts resolve-prefer resolve-net resolvers sigalgs client-sigalgs slowstart sni ssl-max-ver
  ssl-min-ver socks4 tcp-ut track verify verifyhost weight ws`);

/** Sections proxytrace does not interpret; their statements are kept as they are. */
export const OTHER_SECTIONS = words(`userlist peers resolvers mailers program http-errors ring cache fcgi-app log-forward`);

export const GLOBAL_KEYWORDS = words(`
  ca-base chroot cluster-secret cpu-map crt-base daemon default-path description
  expose-experimental-directives external-check fd-hard-limit gid grace group
  h1-accept-payload-with-any-method h1-case-adjust h1-case-adjust-file
  h2-workaround-bogus-websocket-clients hard-stop-after insecure-fork-wanted insecure-setuid-wanted
  issuers-chain-path localpeer log log-send-hostname log-tag lua-load lua-load-per-thread
  lua-prepend-path master-worker mworker-max-reloads nbthread node numa-cpu-mapping pidfile
  pp2-never-send-local presetenv resetenv set-dumpable set-var setenv stats strict-limits uid ulimit-n
  unix-bind unsetenv user busy-polling max-spread-checks maxcompcpuusage maxcomprate maxconn
  maxconnrate maxpipes maxsessrate maxsslconn maxsslrate maxzlibmem no-memory-trimming noepoll
  noevports nogetaddrinfo nokqueue nopoll noreuseport nosplice profiling.tasks server-state-base
  server-state-file spread-checks quiet zero-warning debug thread-groups thread-group nbproc`);

/** Families of global keywords with many members (tune.*, ssl-default-*, device detection...). */
export const GLOBAL_PREFIXES = ['tune.', 'ssl-', 'httpclient.', '51degrees-', 'deviceatlas-', 'wurfl-'];
