// A minimal QMP client (QEMU Machine Protocol, JSON lines over a UNIX socket):
// enough for screendump and send-key.
import net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

export class QmpClient {
  private buffer = ''
  private waiting: Array<{resolve: (v: unknown) => void; reject: (e: Error) => void}> = []
  private greeted: Promise<void>

  private constructor(private socket: net.Socket) {
    let greet: () => void
    this.greeted = new Promise((resolve) => { greet = resolve })
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      this.buffer += d
      let nl
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim()
        this.buffer = this.buffer.slice(nl + 1)
        if (line === '') continue
        const msg = JSON.parse(line) as {QMP?: unknown; return?: unknown; error?: {desc?: string}; event?: string}
        if (msg.QMP !== undefined) greet!()
        else if (msg.event !== undefined) continue
        else {
          const w = this.waiting.shift()
          if (!w) continue
          if (msg.error) w.reject(new Error(`QMP error: ${msg.error.desc ?? JSON.stringify(msg.error)}`))
          else w.resolve(msg.return)
        }
      }
    })
    const fail = (e: Error) => { for (const w of this.waiting.splice(0)) w.reject(e) }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('QMP socket closed')))
  }

  /** Connects (retrying until the socket exists, up to timeoutMs) and leaves capabilities negotiation done. */
  static async connect(socketPath: string, timeoutMs: number, signal?: AbortSignal): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (signal?.aborted) throw new Error('stopped')
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath, () => resolve(s))
          s.once('error', reject)
        })
        const client = new QmpClient(socket)
        await client.greeted
        await client.execute('qmp_capabilities')
        return client
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`cannot reach QMP at ${socketPath}: ${(error as Error).message}`)
        await sleep(200)
      }
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({resolve, reject})
      this.socket.write(JSON.stringify(args ? {execute: command, arguments: args} : {execute: command}) + '\n')
    })
  }

  close(): void {
    this.socket.destroy()
  }
}
