// The health monitors' lines (user/p2p/core/health.c) -> the overlay kos shows (src/report/overlay.ts).
import {describe, expect, it} from 'vitest'
import {buildOverlay, overlaySvg, overlayTable, parseHealthLines} from '../../src/report/overlay.js'
import {lanGuestIp, parseHealthTable} from '../../src/netlab/p2plan.js'

const A = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const B = '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'
const C = '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'
const line = (event: string, self: string, peer: string, state: string, rtt: string, addr: string, t: number, extra = 'loss_pct=0 sent=4 lost=0') =>
  `p2p-health: ${event} self=${self} peer=${peer} state=${state} rtt_us=${rtt} ${extra} addr=${addr} t_ms=${t} silent_ms=12`

describe('health lines', () => {
  it('parses only well-formed lines, with - for no RTT', () => {
    const log = [
      'p2pd: ready peer X port 4001 ctl 4002 agent kos/0.1.0',
      line('change', A, B, 'up', '-', '/ip4/198.51.100.87/tcp/4001', 10),
      line('report', A, B, 'suspect', '812', '/ip4/198.51.100.87/tcp/4001', 20, 'loss_pct=25 sent=8 lost=2'),
      'p2p-health: change self=x peer=y state=sideways',
    ].join('\n')
    const h = parseHealthLines(log)
    expect(h).toHaveLength(2)
    expect(h[0]).toMatchObject({event: 'change', from: A, to: B, state: 'up', rttUs: null, tMs: 10})
    expect(h[1]).toMatchObject({event: 'report', state: 'suspect', rttUs: 812, lossPct: 25, sent: 8, lost: 2})
  })

  it('takes each monitor\'s last table line over the shutdown that follows, skips killed monitors, keeps every transition', () => {
    const g1 = [
      line('change', A, B, 'up', '-', '/ip4/198.51.100.87/tcp/4001', 1),
      line('change', A, C, 'up', '-', '/ip4/198.51.100.88/tcp/4001', 2),
      line('change', A, C, 'suspect', '900', '/ip4/198.51.100.88/tcp/4001', 5),
      line('change', A, C, 'down', '900', '/ip4/198.51.100.88/tcp/4001', 8),
      line('table', A, B, 'up', '1500', '/ip4/198.51.100.87/tcp/4001', 9),
      line('table', A, C, 'down', '900', '/ip4/198.51.100.88/tcp/4001', 9),
      line('change', A, B, 'down', '1500', '/ip4/198.51.100.87/tcp/4001', 10),
    ].join('\n')
    const g2 = line('table', B, A, 'up', '2500', '/ip4/198.51.100.86/tcp/4001', 9)
    const g3 = line('report', C, A, 'up', '700', '/ip4/198.51.100.86/tcp/4001', 3)
    const o = buildOverlay([{text: g1}, {text: g2}, {text: g3, killed: true}])!
    expect(o.nodes.map((n) => n.label)).toEqual(['/ip4/198.51.100.86/tcp/4001', '/ip4/198.51.100.87/tcp/4001', '/ip4/198.51.100.88/tcp/4001'])
    expect(o.edges.map((e) => [e.from, e.to, e.state, e.rttUs])).toEqual([[A, B, 'up', 1500], [A, C, 'down', 900], [B, A, 'up', 2500]])
    expect(o.transitions.map((t) => [t.to, t.state])).toEqual([[B, 'up'], [C, 'up'], [C, 'suspect'], [C, 'down'], [B, 'down']])
    expect(overlayTable(o)).toBe([
      '| monitor | peer | state | RTT | loss | pings |', '| --- | --- | --- | --- | --- | --- |',
      '| 198.51.100.86 | 198.51.100.87 | up | 1.50 ms | 0 % | 4/4 |',
      '| 198.51.100.86 | 198.51.100.88 | down | 0.90 ms | 0 % | 4/4 |',
      '| 198.51.100.87 | 198.51.100.86 | up | 2.50 ms | 0 % | 4/4 |',
    ].join('\n') + '\n')
    const svg = overlaySvg(o, 'lan <3>')
    expect(svg.match(/<circle /g)).toHaveLength(3)
    expect(svg.match(/<line /g)).toHaveLength(2) // A-B (both directions) and A-C
    expect(svg).toContain('>1.50 ms / 2.50 ms<')
    expect(svg).toContain('stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"')
    expect(svg).toContain('lan &lt;3&gt;')
  })

  it('has no overlay without health lines', () => {
    expect(buildOverlay([{text: 'kos: booting\nok 1 p2pd'}])).toBeNull()
  })
})

describe('p2p-lan peer helpers', () => {
  it('reads the p2p health table and knows each guest\'s LAN address', () => {
    expect(parseHealthTable([
      `peer ${B} state up rtt_us 1234 loss_pct 0 sent 9 lost 0 silent_ms 400 addr /ip4/198.51.100.87/tcp/4001`,
      `peer ${C} state down rtt_us - loss_pct 100 sent 3 lost 3 silent_ms 7000 addr -`,
      'ok 2 peers up 1 suspect 0 down 1',
    ])).toEqual([
      {peer: B, state: 'up', rttUs: 1234, lossPct: 0, silentMs: 400},
      {peer: C, state: 'down', rttUs: null, lossPct: 100, silentMs: 7000},
    ])
    expect([1, 2, 8].map(lanGuestIp)).toEqual(['198.51.100.86', '198.51.100.87', '198.51.100.93'])
  })
})

describe('the DHT lookup chart of the progress report', () => {
  it('plots dht_lookup_ms of bench_p2p_lanN against N, in N order, then dht_lookup_hops, and nothing without such figures', async () => {
    const {lookupChart} = await import('../../src/report/progress/markdown.js')
    const chart = lookupChart([
      {id: 'bench_p2p_lan8', metric: 'dht_lookup_ms', value: 40},
      {id: 'bench_p2p_lan4', metric: 'dht_lookup_ms', value: 25},
      {id: 'bench_p2p_lan4', metric: 'dht_lookup_hops', value: 1},
      {id: 'bench_p2p_tap', metric: 'dht_lookup_ms', value: 999},
    ])
    expect(chart).toContain('  x-axis "guests on the LAN" [4, 8]')
    expect(chart).toContain('  line [25, 40]')
    expect(chart).toContain('  y-axis "lookup ms" 0 --> 44')
    // The hops chart follows, over the N that have them.
    const hops = chart.slice(chart.lastIndexOf('```mermaid'))
    expect(hops).toContain('  x-axis "guests on the LAN" [4]')
    expect(hops).toContain('  y-axis "hops" 0 --> 2')
    expect(hops).toContain('  line [1]')
    expect(lookupChart([{id: 'bench_p2p_lan4', metric: 'dht_lookup_ms', value: 25}]).filter((l) => l === '```mermaid')).toHaveLength(1)
    expect(lookupChart([{id: 'bench_p2p_lan4', metric: 'p2p_conn_memory', value: 1}])).toEqual([])
  })
})
