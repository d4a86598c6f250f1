// .wat -> .wasm in-process through the wabt npm package (no wat2wasm binary needed).
import {readFileSync, renameSync, writeFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import wabtInit from 'wabt'

type Wabt = Awaited<ReturnType<typeof wabtInit>>
let wabtPromise: Promise<Wabt> | undefined

export async function watToWasm(source: string, text: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  wabtPromise ??= wabtInit()
  const wabt = await wabtPromise
  const mod = wabt.parseWat(source, text, features)
  try {
    mod.resolveNames()
    mod.validate()
    return mod.toBinary({log: false, write_debug_names: false}).buffer
  } finally {
    mod.destroy()
  }
}

export async function compileWatFile(root: string, src: string, out: string, features: Record<string, boolean>): Promise<void> {
  const bin = await watToWasm(src, readFileSync(path.resolve(root, src), 'utf8'), features)
  const o = path.resolve(root, out)
  mkdirSync(path.dirname(o), {recursive: true})
  writeFileSync(o + '.tmp', bin)
  renameSync(o + '.tmp', o)
}
