// The raw-link agent: sends hand-built Ethernet frames on the case's TAP
// device and records every frame the guest sends, for the checks no socket
// can make (spoofed sources, made-up neighbours, IP TTL and fragment fields).
// It is Python because a Node process has no AF_PACKET socket; like the Node
// agents it runs under `ip netns exec` and prints one JSON report; its job
// comes on stdin (a flood of frames is too big for argv).
import {runJsonAgent} from './agent.js'

export interface RawSend {
  /** Frame bytes (hex), from the builders in frames.ts. */
  hex: string
  /** When to send it, in ms after the agent started. */
  atMs: number
}

export interface RawLinkJob {
  iface: string
  send: RawSend[]
  /** Keep recording until this many ms after the start (and until every frame is sent). */
  listenMs: number
  /** Record only frames from this MAC (aa:bb:...); all incoming frames otherwise. */
  fromMac?: string
}

export interface RawFrame {
  /** ms after the agent started. */
  t: number
  hex: string
}

export interface RawLinkReport {
  ok: boolean
  sent: number
  frames: RawFrame[]
  error?: string
}

export const RAWLINK_SOURCE = String.raw`
import json, select, socket, sys, time
job = json.loads(sys.stdin.read())
out = {'ok': True, 'sent': 0, 'frames': []}
try:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((job['iface'], 0))
    sends = sorted(job.get('send', []), key=lambda f: f['atMs'])
    want = (job.get('fromMac') or '').replace(':', '').lower()
    t0 = time.monotonic()
    i = 0
    while True:
        now = (time.monotonic() - t0) * 1000
        while i < len(sends) and sends[i]['atMs'] <= now:
            s.send(bytes.fromhex(sends[i]['hex']))
            i += 1
            out['sent'] = i
        if i >= len(sends) and now >= job['listenMs']:
            break
        nxt = sends[i]['atMs'] if i < len(sends) else job['listenMs']
        r, _, _ = select.select([s], [], [], max(0.0, (nxt - now) / 1000))
        while r:
            data, addr = s.recvfrom(65535)
            if addr[2] != socket.PACKET_OUTGOING and (not want or data[6:12].hex() == want):
                out['frames'].append({'t': round((time.monotonic() - t0) * 1000), 'hex': data.hex()})
            r, _, _ = select.select([s], [], [], 0)
except Exception as e:
    out['ok'] = False
    out['error'] = repr(e)
print(json.dumps(out))
`

/** Runs the raw-link agent inside the namespace (prefix) and returns what it recorded. */
export function runRawLink(job: RawLinkJob, prefix: string[], signal?: AbortSignal): Promise<RawLinkReport> {
  return runJsonAgent<RawLinkReport>('raw-link agent', RAWLINK_SOURCE, job, prefix, signal, ['python3', '-c'], true)
}
