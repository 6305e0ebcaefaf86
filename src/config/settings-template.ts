/** The `jumpgate.yaml` that `jumpgate init` writes: every key at its default, each explained. */
export const SETTINGS_TEMPLATE = `# jumpgate server settings. Every key is optional; the values shown are the defaults.
# Durations are strings (30s, 10m, 12h); relative paths are relative to this directory.
ssh:
  listen: ["0.0.0.0:2222"]          # addresses the SSH gateway listens on; --listen overrides
  publicAddress: null               # host:port people use to reach the gateway (ssh-config, printed hints)
  hostKeys: [host_keys/ssh_host_ed25519_key, host_keys/ssh_host_rsa_key]
  authMethods: [publickey]          # add password and/or keyboard-interactive to allow them
  algorithms: {}                    # narrow kex, ciphers, macs, hostKeys (modern-only by default)
  loginGraceTime: 30s               # time allowed to authenticate before the connection is closed
  maxStartups: {total: 100, perSource: 10}   # unauthenticated connections at once
  maxAuthTries: 6                   # authentication attempts per connection
  maxConnections: 10000             # open connections at once
  maxChannelsPerConnection: 64      # channels (sessions, ProxyJump, forwards) one connection may hold open
  keepaliveInterval: 15s            # SSH keepalive to idle clients
  workers: 1                        # processes sharing the listener on this host (one per core uses them all)
  trustedUserCAKeys: []             # files of CA public keys whose user certificates are accepted
  revokedKeys: null                 # file of revoked keys and certificates, one public key per line
  proxyProtocol: {trustedProxies: []}   # load balancers (CIDRs) whose PROXY v1/v2 header gives the client's address
http:
  listen: 127.0.0.1:8022            # web console, HTTP API, /metrics, /healthz; "" disables; --http overrides
  tls: {cert: null, key: null}      # set both to serve HTTPS (required when the listener is not loopback)
  publicUrl: null                   # https://gate.example:8443 as people reach the console: approval links, the SSO redirect URI
store: sqlite:jumpgate.db           # or postgres://user@host:5432/db for several gateway nodes
vault:
  keyFile: vault.key                # or the environment variable JUMPGATE_VAULT_KEY
allowFrom: []                       # server-wide source CIDRs; empty = any
bans: {maxAuthFailures: 5, findWindow: 10m, banDuration: 30m, neverBan: []}
knock: {enabled: false, sequence: [], window: 10s, openFor: 30s}
sessions: {idleTimeout: 30m, maxSessionDuration: 12h, maxSessionsPerUser: 10}   # per user: every kind, every node
upstream: {connectTimeout: 10s, idleClose: 60s}
recordings: {dir: recordings, recordInput: false}
audit:
  file: audit.log                   # JSON Lines, SHA-256 hash-chained
  rotateSize: 100MB                 # audit.log is renamed audit-<time>-<n>.log past this size; the chain goes on
  spoolMaxSize: 64MB                # per sink: events waiting while its receiver is down
  sinks: []                         # e.g. {name: siem, type: syslog, transport: tcp, address: "127.0.0.1:6514"}
  alerts: []                        # e.g. {name: brute, on: auth.failure, count: 10, window: 1m, notify: [siem]}
# node: gate-1                      # this node's name among those sharing the store; default the host name
cluster: {heartbeat: 5s, deadAfter: 30s}   # a node silent for deadAfter is dead: the others end its sessions as node_lost
certificates:
  userTTL: 8h                       # validity of the certificate jumpgate login writes (a role's certificateTTL may shorten it)
  targetTTL: 2m                     # validity of the certificate signed for each login to a type: certificate target
identity:
  oidc: null                        # single sign-on: {issuer, clientId, clientSecretFile, scopes, usernameClaim, groupsClaim}
rdp:
  listen: ""                        # the RD Gateway (HTTPS), e.g. 0.0.0.0:8443; "" disables
  tls: {cert: tls/rdp.crt, key: tls/rdp.key}   # init writes a self-signed pair; any cert/key pair may replace it
  tokenTTL: 5m                      # how long a gateway access token from rdp-file stays valid (used once)
  publicAddress: null               # host:port written into .rdp files as the gateway (default: the listen address)
`;
