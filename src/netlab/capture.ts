// Packet capture on a case's TAP device and tshark's verdict on what the
// guest sent: Wireshark's dissectors (with IP/UDP/ICMP checksum validation
// on) are an independent judge of every frame, not only the ones a check
// looks at. A guest frame that tshark calls malformed or flags with an
// error-level expert item (a bad checksum among them) fails the case.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Netns} from '../qemu/netns.js'

export interface Capture {
  file: string
  /** Stops capturing (the file is complete afterwards). */
  stop(): Promise<void>
  /** Removes the capture file and its directory. */
  remove(): void
}

export interface CaptureVerdict {
  ok: boolean
  /** Frames the guest sent. */
  frames: number
  /** Of those, frames tshark found malformed or flagged as an error. */
  bad: number
  detail: string
}

/** Starts dumpcap (via tshark) on the namespace's TAP; resolves once it captures. */
export async function startCapture(ns: Netns): Promise<Capture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kos-capture-'))
  const file = path.join(dir, 'tap.pcapng')
  const child = ns.spawn('tshark', ['-q', '-i', ns.tap, '-w', file])
  await new Promise<void>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`tshark did not start capturing on ${ns.tap}: ${err.trim()}`)), 20_000)
    child.stderr?.on('data', (d) => {
      err += d
      if (/Capturing on/.test(err)) { clearTimeout(timer); resolve() }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tshark exited ${code}: ${err.trim()}`)) })
  })
  return {
    file,
    async stop() {
      if (child.exitCode !== null) return
      const done = new Promise((r) => child.once('exit', r))
      child.kill('SIGINT')
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
    remove() { rmSync(dir, {recursive: true, force: true}) },
  }
}

// ICMP checksums are always verified; IP and UDP only on request.
const CHECKSUMS = ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE'].flatMap((o) => ['-o', o])

/** tshark's verdict on the frames from guestMac in a finished capture. */
export async function judgeCapture(ns: Netns, file: string, guestMac: string): Promise<CaptureVerdict> {
  const count = async (filter: string): Promise<string[]> => {
    const {stdout} = await ns.run('tshark', ['-r', file, ...CHECKSUMS, '-Y', filter, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], 120_000)
    return stdout.split('\n').filter((l) => l.trim())
  }
  const from = `eth.src == ${guestMac}`
  const all = await count(from)
  const bad = await count(`${from} && (_ws.malformed || _ws.expert.severity == "Error")`)
  return {
    ok: all.length > 0 && bad.length === 0,
    frames: all.length,
    bad: bad.length,
    detail: `tshark: ${all.length} frames from the guest, ${bad.length} malformed or with errors${bad.length ? ' (' + bad.slice(0, 3).join(' | ') + ')' : ''}`,
  }
}

/** judgeCapture for a peer that collects details and fails through fail(): the verdict's line goes to details, a bad one to fail. */
export async function judgeCaptureInto(ns: Netns, file: string, guestMac: string, details: string[], fail: (why: string) => void): Promise<void> {
  const verdict = await judgeCapture(ns, file, guestMac)
  details.push(verdict.detail)
  if (!verdict.ok) fail(verdict.detail)
}
