// Reading what the kernel drew on the screen: a QMP screendump of the running
// guest, decoded with the kernel's own font (font.ts).
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {decodeScreen, loadFont, parsePpm} from './font.js'
import {QmpClient} from './qmp.js'

export {decodeScreen, loadFont, parsePpm} from './font.js'

/** Takes a screendump through the QMP socket and returns the screen's text lines. */
export async function readScreen(qmp: QmpClient, repoRoot: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-screen-'))
  try {
    const file = path.join(dir, 'screen.ppm')
    await qmp.execute('screendump', {filename: file})
    return decodeScreen(parsePpm(readFileSync(file)), loadFont(repoRoot))
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
