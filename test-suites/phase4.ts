// Phase 4: mDNS service discovery and the libp2p peer. The guest side of
// mDNS is the responder and browser in kernel/net/mdns.c (started by mdns=1)
// next to the netecho service on port 7; the host side is the mdns-tap peer
// (src/netlab/mdns.ts) in the case's own network namespace. The libp2p
// daemon's code lives in user/p2p (user/p2p/README.md).
import type {CaseDef} from '../src/suites/types.js'
import {hubLanCase, P2P_LAN_APPEND, P2P_LAN_MDNS_APPEND, p2pLanCase, programCase, TAP_NET, tapCase} from './lib/cases.js'

const LAN_APPEND = 'ktest=netecho mdns=1 ip=10.0.3.mac gw=10.0.3.254 mask=255.255.255.0'
const TAP_APPEND = `ktest=netecho mdns=1 ${TAP_NET}`
/** p2pd alone in the guest on the TAP network, its key from `seed`; `options` go after its control port's. */
const p2pdTap = (seed: string, options = '') => `${TAP_NET} init=/bin/p2pd:port=4001:seed=${seed}:ctl_listen=0.0.0.0${options}`
const P2PD_OK = ['ok 1 p2pd']

/** A case of the mdns-check peer (src/netlab/mdnscheck.ts) over TAP. */
function mdnsCheckCase(id: string, title: string, check: string): CaseDef {
  return tapCase(4, id, title, ['mdns', 'e1000', 'tap', 'udp'], TAP_APPEND, {name: 'mdns-check', options: {check}})
}

/** A case of the avahi peer (src/netlab/avahi.ts): avahi-daemon in the case namespace over TAP. */
function avahiCase(id: string, title: string, check: string, log?: string[]): CaseDef {
  return {
    ...mdnsCheckCase(id, title, check), peer: {name: 'avahi', options: {check}}, ...(log ? {expect: {log}} : {}),
  }
}

export const cases: CaseDef[] = [
  programCase(4, 'p2p_crypto', 'p2p_crypto', 'The libp2p crypto library in ring 3 against the published vectors: SHA-256/512 (FIPS 180-4), HMAC (RFC 4231), HKDF (RFC 5869), X25519 incl. 1000 iterations (RFC 7748), Ed25519 (RFC 8032 7.1), ChaCha20-Poly1305 (RFC 8439); forgeries rejected',
    ['crypto', 'ring3'], {timeoutSec: 300}),
  // The address js dials is the guest's fixed one (198.51.100.2, p2pd's
  // ready line gives port and PeerId): libp2p mDNS is not built yet.
  tapCase(4, 'p2p_js_tap', 'js-libp2p 3.3 in the case namespace dials p2pd in the guest over TAP (Noise, yamux, identify checked from js, 20 pings, 100 x 64 KiB echo), then p2pd dials js (p2p dial, 20 pings, 100 x 64 KiB echo verified by kos, served by js); then bad input from the namespace (HTTP and an oversized varint instead of multistream, a wrong header, a short and an undecryptable Noise message, a dial whose PeerId does not match) closes only those connections with each reason counted exactly, and js still gets answers',
    ['noise', 'yamux', 'identify', 'ping', 'tap'], p2pdTap('kos-tap'), {name: 'libp2p-tap', options: {pings: 20, echoStreams: 100, echoSize: 65536}},
    {syscalls: ['SYS_LISTEN', 'SYS_ACCEPT', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV'], timeoutSec: 1200, log: P2PD_OK}),
  // Nothing tells either side the other's address: js-libp2p's @libp2p/mdns
  // and p2pd's mdns module (user/p2p/core/mdns.c) find each other, while the
  // kernel's responder (mdns=1) shares UDP 5353 with p2pd.
  tapCase(4, 'p2p_mdns_tap', 'libp2p mDNS over TAP: unmodified js-libp2p with @libp2p/mdns discovers p2pd (_p2p._udp.local, dnsaddr= TXT) and dials the discovered address (identify checked from js, 10 pings); p2pd discovers a second js node by its mDNS answer and dials it itself (outbound in p2p peers, 10 pings, seen by js); the kernel responder shares port 5353; tshark: the guest\'s queries and answers have IP TTL 255, no malformed guest frame',
    ['libp2p-mdns', 'mdns', 'sockets', 'tap', 'udp'], `${TAP_NET} mdns=1 init=/bin/p2pd:port=4001:seed=kos-mdns:ctl_listen=0.0.0.0:mdns=1:mdns_interval=2000`,
    {name: 'libp2p-mdns', options: {pings: 10}}, {
      syscalls: ['SYS_SETSOCKOPT', 'SYS_SENDTO', 'SYS_RECVFROM', 'SYS_CONNECT'],
      timeoutSec: 900,
      log: ['ok 1 p2pd', 'p2pd: mdns on as ', 'mdns: responding as kos-123456.local'],
    }),
  // The file-sharing module (user/p2p/core/files.c) against unmodified Helia 7.1.15 (src/netlab/helia.ts).
  tapCase(4, 'files_helia_tap', 'IPFS file sharing with unmodified Helia 7.1.15 (@helia/unixfs 8.0.5, @helia/bitswap 4.0.19) over TAP: the guest adds 5 MiB (p2p addgen) under the CID ipfs-unixfs-importer 17.1.1 computes for those bytes, Helia fetches it over Bitswap 1.2.0 (sha256 equal); Helia asks for a 600000-byte file before the guest holds it, its want waits in the guest\'s ledger and exactly one late block answers it once the guest adds the file; Helia adds 3 MiB, the guest fetches it into its ramfs (sha256 equal) and adds the copy under the importer CID; p2p add /bin/p2p gives the importer CID of that file; a provider sending corrupt blocks and four malformed Bitswap messages are refused and counted exactly, nothing stored, and Helia still fetches',
    ['file-sharing', 'tap'], p2pdTap('kos-files'), {name: 'helia-tap', options: {kosSize: 5 << 20, heliaSize: (3 << 20) + 12345}},
    {syscalls: ['SYS_OPEN', 'SYS_READ', 'SYS_WRITE', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV'], timeoutSec: 1500, log: P2PD_OK}),
  programCase(4, 'p2p_unixfs', 'p2p_unixfs', 'CIDs and UnixFS in ring 3: CIDv1 text and binary forms, the empty file\'s CID, Bitswap block prefixes, bad CIDs and unverifiable prefixes refused, the 256 KiB chunker and balanced builder at the chunk boundaries and for 5 MiB, dag-pb decode with malformed nodes refused',
    ['file-sharing', 'ring3'], {timeoutSec: 600}),
  tapCase(4, 'kad_js_tap', 'Kademlia DHT against js-libp2p 3.3 with @libp2p/kad-dht 16.4 in the case namespace over TAP (server mode, private protocol /kos/kad/1.0.0, the /kos/ validator and selector): js puts and kos gets, kos puts and js gets, kos provides a CID and js finds it with GET_PROVIDERS, js provides one and kos finds it; then 8 malformed or refused DHT messages (truncated protobuf, a 20000-byte length prefix, an unknown type, a 1102-byte record, mismatched record key, two invalid records, ADD_PROVIDER for another peer) and a 40-record PUT_VALUE flood from js are refused unanswered and counted exactly (31 stored, 9 over the per-peer quota), and none of the refused keys is stored',
    ['dht', 'tap'], p2pdTap('kos-kad', ':kad_protocol=/kos/kad/1.0.0'), {name: 'kad-tap', options: {flood: 40}},
    {syscalls: ['SYS_LISTEN', 'SYS_ACCEPT', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV'], timeoutSec: 1500, log: P2PD_OK}),
  programCase(4, 'p2p_kadtest', 'p2p_kadtest', 'The Kademlia DHT pieces in ring 3: kad-dht messages against hand-encoded bytes and malformed input, XOR distance and k-buckets against brute force, stale-peer eviction, the /kos/ validator and selector, record and provider stores bounded with a per-peer quota and expiry',
    ['dht', 'ring3'], {timeoutSec: 300}),
  programCase(4, 'p2p_selftest', 'p2p_selftest', 'Two kos libp2p nodes in one ring-3 process, linked in memory: multistream-select, Noise XX with the libp2p payload, yamux, identify both ways, 5 pings, 16 x 64 KiB echo verified; a bad identity signature, yamux frames with a bad version, type, stream id or window and a PeerId mismatch each close only their connection with the reason counted; varint, base58btc, PeerId, multiaddr and multistream encodings',
    ['noise', 'yamux', 'identify', 'ping', 'ring3'], {timeoutSec: 600}),
  tapCase(4, 'mdns_tap', 'mDNS over TAP: a host querier browses _kos._udp.local (PTR/SRV/TXT/A checked), resolves kos-123456.local (QU and legacy unicast), echoes at the discovered address and port; malformed messages counted; the guest browses and finds the host instance',
    ['mdns', 'e1000', 'tap', 'udp', 'ipv4'], TAP_APPEND, {name: 'mdns-tap', options: {timeoutSec: 180}},
    {log: ['mdns: probing for kos-123456.local', 'mdns: responding as kos-123456.local, service kos-123456._kos._udp.local port 7']}),
  hubLanCase(4, 'mdns_lan2', 'Two guests on one virtual LAN discover each other by browsing _kos._udp.local (each reports the other\'s instance, address and port 7) and echo datagrams at what they discovered',
    ['mdns', 'e1000', 'lan', 'udp', 'ipv4'], LAN_APPEND, {name: 'mdns-lan', options: {timeoutSec: 120}}),
  // Two p2pd guests on one bridged LAN (src/netlab/p2plan.ts): the p2p client
  // in the case's namespace drives each guest's control port.
  p2pLanCase('p2p_lan2', 'Two kos guests running p2pd on one LAN dial each other (Noise, yamux), identify each other (agent, protocols, listen and observed addresses), ping and echo 16 x 64 KiB each way, every byte verified by the dialler',
    ['noise', 'yamux', 'identify', 'ping', 'echo-service', 'lan'], 2, P2P_LAN_APPEND,
    {steps: ['mesh', 'identify', 'ping', 'echo'], pings: 10, echoStreams: 16, echoSize: 65536}, {timeoutSec: 900, log: P2PD_OK}),
  // Two guests on the hub LAN test each other (user/p2p_lan_test.c over the
  // p2p_* API, user/lib/p2p.h): guest 1 calls, guest 2 serves and counts.
  hubLanCase(4, 'p2p_rpc_lan2', 'RPC and remote WebAssembly between two kos guests: built-in methods, unknown method, bad args, a timeout, four calls in flight; WASM values, a trap, fuel exhaustion and the callee\'s memory limit, an invalid module; eight kinds of malformed or oversized message refused and counted exactly on the callee; the primes job over both and itself (17984 below 200000, the hanging daemon\'s two slices retried); the callee killed mid-call: peer gone',
    ['rpc', 'remote-wasm', 'lan'], 'ip=10.0.3.mac gw=10.0.3.254 mask=255.255.255.0 init=/bin/p2p_lan_test:{guest}', {name: 'lan-hub'},
    {syscalls: ['SYS_WASM_LOAD', 'SYS_WASM_EXEC', 'SYS_WASM_UNLOAD', 'SYS_FORK', 'SYS_EXEC', 'SYS_KILL', 'SYS_WAITPID'], timeoutSec: 1500}),
  // Issue 14's LAN with churn (src/netlab/p2plan.ts): every guest's health
  // monitor (user/p2p/core/health.c) pings every other; two QEMUs are killed.
  p2pLanCase('p2p_lan8_churn', 'Eight kos guests running p2pd on one LAN: every guest finds every other by libp2p mDNS and connects to it, and its health monitor shows all seven up with an RTT; a 2 MiB file added on one is fetched by four others at once (same SHA-256); two guests\' QEMUs are killed while a guest fetches an 8 MiB file from one of them and another provider: every survivor marks them suspect, then down after at most 8 s of silence, and the fetch completes from the other provider; one is booted again with the same seed, keeps its PeerId, is redialled and marked up by every monitor while the other stays down',
    ['health-monitor', 'p2p', 'libp2p-mdns', 'file-sharing', 'lan'], 8, P2P_LAN_MDNS_APPEND,
    {steps: ['discover', 'health', 'files', 'jobchurn'], kill: [7, 8], churnJob: false}, {log: P2PD_OK}),
  // The DHT, RPC and the distributed job on the churn LAN (src/netlab/p2plan.ts):
  // its own case so it runs next to p2p_lan8_churn. Guest 8 puts the value and
  // is killed with guest 7 while guest 1 runs the primes job.
  p2pLanCase('p2p_lan8_dht', 'Eight kos guests running p2pd on one LAN, connected by libp2p mDNS: a /kos/ value put in the DHT on guest 8 (replicated to the peers closest to its key) is read on each of the seven others by p2p getvalue, each getting copies from other peers over the network; RPC add and id between 24 random pairs answer right; guests 7 and 8 (the putter) are killed while guest 1 runs the distributed primes job over remote WASM: it gives 17984 below 200000 (checked against a local run) with every slice the victims held retried elsewhere as peer gone, every survivor marks both suspect, then down after at most 8 s of silence; guest 7 is booted again with the same seed, keeps its PeerId and is marked up by every monitor while guest 8 stays down; then every live guest still reads the value (replicated off the dead putter)',
    ['p2p', 'dht', 'rpc', 'remote-wasm', 'health-monitor', 'lan'], 8, P2P_LAN_MDNS_APPEND,
    {steps: ['discover', 'dht', 'rpc', 'jobchurn', 'dhtread'], kill: [7, 8], churnFileSize: 0}, {timeoutSec: 1500, log: P2PD_OK}),
  avahiCase('mdns_avahi_tap', 'avahi-daemon 0.8 in the case namespace (private dbus, own config, check-response-ttl=yes): avahi-browse resolves the guest\'s _kos._udp service (host, address, port 7), avahi-resolve maps kos-123456.local to 198.51.100.2 and the address back; the guest finds the service avahi-publish announces; avahi sees the guest\'s goodbye; every guest mDNS packet has IP TTL 255, tshark finds no malformed guest frame', 'find'),
  avahiCase('mdns_avahi_conflict_tap', 'RFC 6762 8 and 9 against a real responder: avahi already holds kos-123456.local when the guest probes; the guest detects the conflict and takes kos-123456-2.local, which avahi resolves to the guest (forward and reverse, service browsed) while the original name still resolves to avahi\'s record; every guest mDNS packet has IP TTL 255', 'conflict',
    ['mdns: probing for kos-123456.local', 'mdns: name conflict on kos-123456.local', 'mdns: responding as kos-123456-2.local']),
  mdnsCheckCase('mdns_dotted_tap', 'One mDNS answer bundling three instances, one named "svc v1.2" (a dot inside the label): the guest reports all three; every guest mDNS packet has IP TTL 255; tshark finds no malformed guest frame', 'dotted'),
  mdnsCheckCase('mdns_rate_tap', 'RFC 6762 6: 50 queries for the guest\'s A record in half a second get one or two multicast answers, not 50; every guest mDNS packet has IP TTL 255', 'rate'),
  mdnsCheckCase('mdns_goodbye_tap', 'The browser honours goodbyes: 8 instances announced then withdrawn (TTL 0) are reported lost, and a ninth is still found; every guest mDNS packet has IP TTL 255', 'goodbye'),
]
