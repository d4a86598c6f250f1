import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawn} from 'node:child_process'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {acquireBuildLock} from '../../src/builder/lock.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kos-lock-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('acquireBuildLock', () => {
  it('takes and releases the lock', async () => {
    const f = path.join(dir, 'b/.lock')
    const release = await acquireBuildLock(f)
    expect(readFileSync(f, 'utf8')).toBe(String(process.pid))
    release()
    expect(existsSync(f)).toBe(false)
  })

  it('takes over the lock of a process that no longer exists', async () => {
    const f = path.join(dir, '.lock')
    const child = spawn(process.execPath, ['-e', ''])
    const pid = child.pid!
    await new Promise((r) => child.on('exit', r))
    writeFileSync(f, String(pid))
    const release = await acquireBuildLock(f, {timeoutMs: 5000})
    expect(readFileSync(f, 'utf8')).toBe(String(process.pid))
    release()
  })

  it('waits for a live holder and reports it', async () => {
    const f = path.join(dir, '.lock')
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      writeFileSync(f, String(child.pid))
      const waited: number[] = []
      const p = acquireBuildLock(f, {pollMs: 10, onWait: (pid) => waited.push(pid)})
      // Let it poll, then release on the holder's behalf.
      await new Promise((r) => setTimeout(r, 50))
      expect(waited).toEqual([child.pid])
      rmSync(f)
      const release = await p
      expect(readFileSync(f, 'utf8')).toBe(String(process.pid))
      release()
    } finally {
      child.kill()
    }
  })

  it('gives up with a clear error after its timeout', async () => {
    const f = path.join(dir, '.lock')
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      writeFileSync(f, String(child.pid))
      await expect(acquireBuildLock(f, {timeoutMs: 0, pollMs: 1})).rejects.toThrow(`another kos build (pid ${child.pid})`)
    } finally {
      child.kill()
    }
  })
})
