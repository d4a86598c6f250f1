// The overlay a LAN case's health monitors saw (user/p2p/core/health.c): the
// "p2p-health:" lines of every guest's serial log become a topology (who
// sees whom, state, RTT, loss), a Markdown table and an SVG picture (peers
// as nodes on a circle, RTT on the edges). Pure functions; the runner
// attaches the overlay to the case's result and writeResults draws it.

export type PeerState = 'up' | 'suspect' | 'down'

export interface OverlayEdge {
  /** PeerId of the monitoring node and of the peer it monitors. */
  from: string
  to: string
  state: PeerState
  /** Smoothed RTT (null: never answered). */
  rttUs: number | null
  lossPct: number
  sent: number
  lost: number
  addr: string
}

export interface OverlayNode {
  id: string
  /** Its address when some monitor knew it (/ip4/A.B.C.D/tcp/P), else the PeerId's tail. */
  label: string
}

export interface OverlayTransition {
  from: string
  to: string
  state: PeerState
  /** The monitoring guest's clock (ms since its boot). */
  tMs: number
}

export interface Overlay {
  nodes: OverlayNode[]
  edges: OverlayEdge[]
  /** Every state change, in log order. */
  transitions: OverlayTransition[]
}

const LINE = /p2p-health: (\w+) self=(\w+) peer=(\w+) state=(up|suspect|down) rtt_us=(-|\d+) loss_pct=(\d+) sent=(\d+) lost=(\d+) addr=(\S+) t_ms=(\d+)/

export interface HealthLine extends OverlayEdge {
  event: string
  tMs: number
}

/** The health lines of one serial log, in order (other lines are ignored). */
export function parseHealthLines(log: string): HealthLine[] {
  const out: HealthLine[] = []
  for (const line of log.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    out.push({
      event: m[1], from: m[2], to: m[3], state: m[4] as PeerState, rttUs: m[5] === '-' ? null : Number(m[5]),
      lossPct: Number(m[6]), sent: Number(m[7]), lost: Number(m[8]), addr: m[9], tMs: Number(m[10]),
    })
  }
  return out
}

export interface GuestLog {
  text: string
  /** The life this log belongs to was killed (churn): a dead monitor has no view, its lines give only transitions. */
  killed?: boolean
}

/**
 * The overlay from the logs of every guest, in guest and life order; null
 * without health lines. Each monitor's view of a peer is its last `table`
 * line (the `p2p health` a test asks for before it ends the guests; what
 * follows is the shutdown), or its last line when it printed no table.
 */
export function buildOverlay(logs: readonly GuestLog[]): Overlay | null {
  const edges = new Map<string, OverlayEdge>()
  const fromTable = new Set<string>()
  const transitions: OverlayTransition[] = []
  const labels = new Map<string, string>()
  const ids: string[] = []
  const see = (id: string) => { if (!ids.includes(id)) ids.push(id) }
  for (const log of logs) {
    for (const h of parseHealthLines(log.text)) {
      if (h.addr !== '-') labels.set(h.to, h.addr)
      if (h.event === 'change') transitions.push({from: h.from, to: h.to, state: h.state, tMs: h.tMs})
      if (log.killed) continue
      see(h.from)
      see(h.to)
      const key = `${h.from} ${h.to}`
      if (fromTable.has(key) && h.event !== 'table') continue
      if (h.event === 'table') fromTable.add(key)
      const {event: _e, tMs: _t, ...edge} = h
      edges.set(key, edge)
    }
  }
  if (ids.length === 0) return null
  return {
    nodes: ids.map((id) => ({id, label: labels.get(id) ?? `…${id.slice(-6)}`})),
    edges: [...edges.values()],
    transitions,
  }
}

const short = (label: string): string => label.replace(/^\/ip4\//, '').replace(/\/tcp\/\d+$/, '')
const rttText = (us: number | null): string => (us === null ? '-' : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`)

/** One row per monitored pair: monitor, peer, state, RTT, loss. */
export function overlayTable(o: Overlay): string {
  const label = new Map(o.nodes.map((n) => [n.id, short(n.label)]))
  const rows = ['| monitor | peer | state | RTT | loss | pings |', '| --- | --- | --- | --- | --- | --- |']
  for (const e of [...o.edges].sort((a, b) => (label.get(a.from) ?? '').localeCompare(label.get(b.from) ?? '') || (label.get(a.to) ?? '').localeCompare(label.get(b.to) ?? ''))) {
    rows.push(`| ${label.get(e.from)} | ${label.get(e.to)} | ${e.state} | ${rttText(e.rttUs)} | ${e.lossPct} % | ${e.sent - e.lost}/${e.sent} |`)
  }
  return rows.join('\n') + '\n'
}

const STATE_COLOUR: Record<PeerState, string> = {up: '#2e7d32', suspect: '#ef6c00', down: '#c62828'}
const WORSE: Record<PeerState, number> = {up: 0, suspect: 1, down: 2}
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** The overlay as an SVG drawing: nodes on a circle, one line per pair in the worse state of its two directions, labelled with each direction's RTT. */
export function overlaySvg(o: Overlay, title: string): string {
  const size = 520, c = size / 2, r = o.nodes.length > 1 ? 190 : 0
  const pos = new Map(o.nodes.map((n, i) => {
    const a = (2 * Math.PI * i) / o.nodes.length - Math.PI / 2
    return [n.id, {x: c + r * Math.cos(a), y: c + 20 + r * Math.sin(a)}]
  }))
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 40}" viewBox="0 0 ${size} ${size + 40}" font-family="sans-serif" font-size="11">`]
  out.push(`<text x="${c}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`)
  const pairs = new Map<string, OverlayEdge[]>()
  for (const e of o.edges) {
    const key = [e.from, e.to].sort().join(' ')
    pairs.set(key, [...(pairs.get(key) ?? []), e])
  }
  for (const [key, es] of pairs) {
    const [a, b] = key.split(' ')
    const p = pos.get(a), q = pos.get(b)
    if (!p || !q) continue
    const state = es.reduce<PeerState>((s, e) => (WORSE[e.state] > WORSE[s] ? e.state : s), 'up')
    const dash = state === 'up' ? '' : ' stroke-dasharray="6 4"'
    out.push(`<line x1="${p.x.toFixed(1)}" y1="${p.y.toFixed(1)}" x2="${q.x.toFixed(1)}" y2="${q.y.toFixed(1)}" stroke="${STATE_COLOUR[state]}" stroke-width="2"${dash}/>`)
    const label = state === 'up' ? es.map((e) => rttText(e.rttUs)).join(' / ') : state
    out.push(`<text x="${((p.x + q.x) / 2).toFixed(1)}" y="${((p.y + q.y) / 2 - 3).toFixed(1)}" text-anchor="middle" fill="${STATE_COLOUR[state]}">${esc(label)}</text>`)
  }
  for (const n of o.nodes) {
    const p = pos.get(n.id)!
    out.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="16" fill="#1565c0"/>`)
    out.push(`<text x="${p.x.toFixed(1)}" y="${(p.y + 30).toFixed(1)}" text-anchor="middle">${esc(short(n.label))}</text>`)
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
