// Source discovery and the build steps made from it (docs/ARCHITECTURE.md "Build").
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {checkKernelImages, checkUserFile} from '../elf/checks.js'
import {runTool, shellQuote} from '../util/spawn.js'
import type {Step, StepOutcome} from './graph.js'
import {INITRD_LIMITS_HEADER, type InitrdEntry, packInitrd, readInitrdLimits} from './initrd.js'
import {type ResolvedToolchain, type ToolchainProfile} from './toolchain.js'
import {TEST_IMAGE_NAMES, generateTestImages} from './testimages.js'
import {compileWatFile} from './wasm.js'

/** Bumped when an in-process step (checks, test images, initrd) changes its output. */
const IN_PROCESS_VERSION = 1
export const BUILD_DIR = 'build'
/** Generated /test/many/NNNN files (TEST_MANY_FILES in kernel/test/test_fs.c). */
export const INITRD_TEST_MANY_FILES = 600

export interface Sources {
  kernel: string[]
  userPrograms: string[]
  userLib: string[]
  wat: string[]
  wasmC: string[]
  rootfs: string[]
  host: string[]
  /** The libp2p daemon's tree (docs/ARCHITECTURE.md "Build"): portable code, two platform layers, programs. */
  p2p: P2pSources
}

export interface P2pSources {
  /** Portable code: every user/p2p/**\/*.c outside cmd/, kos/ and host/. */
  lib: string[]
  /** The platform layer over the kos syscalls (guest build). */
  kos: string[]
  /** The platform layer over POSIX (host build). */
  host: string[]
  /** One program per file, built for the guest (/bin/NAME) and the host (build/host/NAME). */
  programs: string[]
}

/** Lists files under dir (relative to root), sorted, as root-relative POSIX paths. */
function walk(root: string, dir: string): string[] {
  const abs = path.join(root, dir)
  if (!existsSync(abs)) return []
  const out: string[] = []
  for (const ent of readdirSync(abs, {withFileTypes: true})) {
    const rel = `${dir}/${ent.name}`
    if (ent.isDirectory()) out.push(...walk(root, rel))
    else if (ent.isFile()) out.push(rel)
  }
  return out.sort()
}

function listDir(root: string, dir: string, exts: string[]): string[] {
  const abs = path.join(root, dir)
  if (!existsSync(abs)) return []
  return readdirSync(abs, {withFileTypes: true})
    .filter((e) => e.isFile() && exts.some((x) => e.name.endsWith(x)))
    .map((e) => `${dir}/${e.name}`)
    .sort()
}

export function discoverSources(root: string): Sources {
  // kernel/ holds only what runs in the kernel; host programs live in tools/.
  const kernel = walk(root, 'kernel').filter((f) => f.endsWith('.c') || f.endsWith('.S'))
  // The host tool needs its own main() in tools/wasm: without a .c file there, skip it.
  const hostMains = listDir(root, 'tools/wasm', ['.c'])
  return {
    kernel,
    userPrograms: listDir(root, 'user', ['.c']),
    userLib: listDir(root, 'user/lib', ['.c', '.S']),
    wat: listDir(root, 'user/wasm', ['.wat']),
    wasmC: listDir(root, 'user/wasm', ['.c']),
    rootfs: walk(root, 'user/rootfs'),
    host: hostMains.length > 0 ? [...listDir(root, 'kernel/wasm', ['.c']), ...hostMains] : [],
    p2p: discoverP2p(root),
  }
}

function discoverP2p(root: string): P2pSources {
  const all = walk(root, 'user/p2p').filter((f) => f.endsWith('.c'))
  const under = (d: string) => all.filter((f) => f.startsWith(`user/p2p/${d}/`))
  const special = ['cmd', 'kos', 'host'].map((d) => `user/p2p/${d}/`)
  return {
    lib: all.filter((f) => !special.some((d) => f.startsWith(d))),
    kos: under('kos'),
    // The host platform layer; its WASM runner is tools/p2p (it includes the kernel's interpreter, which user/ may not).
    host: [...under('host'), ...listDir(root, 'tools/p2p', ['.c'])],
    programs: listDir(root, 'user/p2p/cmd', ['.c']),
  }
}

export interface Toolchains {
  kernel: ResolvedToolchain
  user: ResolvedToolchain
  wasm: ResolvedToolchain
  host?: ResolvedToolchain
}

export interface CompileCommand {
  directory: string
  file: string
  arguments: string[]
  output: string
}

export interface Plan {
  steps: Step[]
  compileCommands: CompileCommand[]
}

const base = (f: string) => path.basename(f).replace(/\.[^.]+$/, '')

async function runArgv(root: string, argv: string[], after?: () => StepOutcome): Promise<StepOutcome> {
  const r = await runTool(argv[0], argv.slice(1), {cwd: root})
  if (r.code !== 0) return {ok: false, output: r.all || `${shellQuote(argv)} exited with ${r.code}`}
  if (after) {
    const a = after()
    return {ok: a.ok, output: (r.all + a.output).trim()}
  }
  return {ok: true, output: r.all.trim()}
}

function ensureDirs(root: string, files: string[]): void {
  for (const f of files) mkdirSync(path.dirname(path.resolve(root, f)), {recursive: true})
}

/**
 * A build variant: the kernel and user programs again with the profiles'
 * extra flags for it (toolchain/kernel.json and user.json "variants"), in a
 * directory of their own, with its own initrd; the host programs are not
 * rebuilt. `kos test --sanitize` boots build/sanitize/, `--coverage` build/coverage/.
 */
export const BUILD_VARIANTS = ['sanitize', 'coverage'] as const
export type BuildVariant = (typeof BUILD_VARIANTS)[number]
export const buildDirOf = (variant?: BuildVariant): string => (variant ? `${BUILD_DIR}/${variant}` : BUILD_DIR)

/**
 * How much slower a variant's guest runs than the normal build's: the one
 * factor every timeout of a run scales by (the case's, the host peers' grace,
 * js-libp2p's dial, upgrade, negotiation, identify and ping timeouts; see
 * RunCasesOptions.timeScale). Measured, not guessed: sanitize moves the
 * p2p_js_tap echo (Noise + yamux, 100 x 64 KiB each way) at 15353 and 14411
 * kbit/s against 80784 and 58843 in the normal build (4.1-5.3x; UBSan's checks
 * make ChaCha20-Poly1305 about 5x slower on the host too). Coverage stays
 * at 1: not measured, and its runs so far used the normal timeouts.
 */
export const VARIANT_TIME_SCALE: Readonly<Record<BuildVariant, number>> = {sanitize: 5, coverage: 1}
export const timeScaleOf = (variant?: BuildVariant): number => (variant ? VARIANT_TIME_SCALE[variant] : 1)

export function makePlan(root: string, src: Sources, tc: Toolchains, variant?: BuildVariant): Plan {
  const BUILD_DIR = buildDirOf(variant)
  const flagsFor = (p: ToolchainProfile) => (variant ? p.variants?.[variant] ?? [] : [])
  const steps: Step[] = []
  const compileCommands: CompileCommand[] = []

  const compile = (source: string, objDir: string, cc: string, flags: string[], label: string, extraSig: unknown = null): string => {
    const obj = `${objDir}/${source}.o`
    const dep = `${objDir}/${source}.d`
    const argv = [cc, ...flags, '-MMD', '-MF', dep, '-c', source, '-o', obj]
    steps.push({
      id: `cc:${obj}`, label: `${label} ${source}`, inputs: [source], outputs: [obj], depfile: dep,
      signature: [argv, extraSig], argv,
      run: async () => {
        ensureDirs(root, [obj])
        return runArgv(root, argv)
      },
    })
    compileCommands.push({directory: root, file: path.join(root, source), arguments: argv, output: path.join(root, obj)})
    return obj
  }

  // Kernel.
  const kp = tc.kernel.profile
  const fpuDirs = kp.fpuDirs ?? []
  const kernelObjs = src.kernel.map((f) => {
    const isAsm = f.endsWith('.S')
    const fpu = fpuDirs.some((d) => f.startsWith(d + '/'))
    const flags = isAsm ? (kp.asflags ?? kp.cflags) : [...kp.cflags, ...(fpu ? (kp.fpuFlags ?? []) : (kp.noFpuFlags ?? [])), ...flagsFor(kp)]
    return compile(f, `${BUILD_DIR}/obj`, tc.kernel.tools.cc, flags, isAsm ? 'AS' : 'CC')
  })
  if (kernelObjs.length > 0) {
    // Boot code first: the multiboot header must sit early in the image.
    const ordered = [...kernelObjs].sort((a, b) => Number(!a.includes('/boot')) - Number(!b.includes('/boot')) || (a < b ? -1 : 1))
    const elf = `${BUILD_DIR}/kernel.elf`
    const elf32 = `${BUILD_DIR}/kernel32.elf`
    const ldArgv = [tc.kernel.tools.ld, ...(kp.ldflags ?? []), '-o', elf, ...ordered]
    const script = scriptOf(kp.ldflags ?? [])
    steps.push({
      id: 'ld:kernel', label: `LD ${elf}`, inputs: [...ordered, ...(script ? [script] : [])], outputs: [elf],
      signature: ldArgv, argv: ldArgv, run: async () => runArgv(root, ldArgv),
    })
    const ocArgv = [tc.kernel.tools.objcopy, ...(kp.objcopy32 ?? ['-O', 'elf32-i386']), elf, elf32]
    steps.push({
      id: 'objcopy:kernel32', label: `OBJCOPY ${elf32} + check`, inputs: [elf], outputs: [elf32],
      signature: [ocArgv, 'kernel-checks', IN_PROCESS_VERSION], argv: ocArgv,
      run: async () =>
        runArgv(root, ocArgv, () => {
          const c = checkKernelImages(readFileSync(path.resolve(root, elf)), readFileSync(path.resolve(root, elf32)), {elf64: elf, elf32})
          return {ok: c.ok, output: c.problems.map((p) => `elf check: ${p}`).join('\n')}
        }),
    })
  }

  // User programs: each user/*.c linked with all of user/lib.
  const up = {...tc.user.profile, cflags: [...tc.user.profile.cflags, ...flagsFor(tc.user.profile)]}
  const libObjs = src.userLib.map((f) =>
    compile(f, `${BUILD_DIR}/obj`, tc.user.tools.cc, f.endsWith('.S') ? (up.asflags ?? up.cflags) : up.cflags, f.endsWith('.S') ? 'AS' : 'CC'),
  )
  const initrd: InitrdEntry[] = []
  const userScript = scriptOf(up.ldflags ?? [])
  const linkUser = (name: string, objs: string[]) => {
    const out = `${BUILD_DIR}/user/${name}.elf`
    // crt0 and the rest of the lib first, so _start is found regardless of link order quirks.
    const argv = [tc.user.tools.ld, ...(up.ldflags ?? []), '-o', out, ...libObjs, ...objs]
    steps.push({
      id: `ld:user/${name}`, label: `LD ${out} + check`, inputs: [...libObjs, ...objs, ...(userScript ? [userScript] : [])], outputs: [out],
      signature: [argv, 'user-checks', IN_PROCESS_VERSION], argv,
      run: async () => {
        ensureDirs(root, [out])
        return runArgv(root, argv, () => {
          const c = checkUserFile(path.resolve(root, out), out)
          return {ok: c.ok, output: c.problems.map((p) => `elf check: ${p}`).join('\n')}
        })
      },
    })
    initrd.push({archivePath: `/bin/${name}`, source: out, mode: 0o755})
  }
  for (const prog of src.userPrograms) linkUser(base(prog), [compile(prog, `${BUILD_DIR}/obj`, tc.user.tools.cc, up.cflags, 'CC')])

  // The libp2p programs: user/lib, the portable p2p code and its kos platform layer.
  if (src.p2p.programs.length > 0) {
    const flags = [...up.cflags, '-I', 'user/p2p']
    const p2pObjs = [...src.p2p.lib, ...src.p2p.kos].map((f) => compile(f, `${BUILD_DIR}/obj`, tc.user.tools.cc, flags, 'CC'))
    for (const prog of src.p2p.programs) linkUser(base(prog), [...p2pObjs, compile(prog, `${BUILD_DIR}/obj`, tc.user.tools.cc, flags, 'CC')])
  }

  // WASM modules.
  const features = tc.wasm.profile.watFeatures ?? {}
  for (const wat of src.wat) {
    const out = `${BUILD_DIR}/wasm/${base(wat)}.wasm`
    steps.push({
      id: `wat:${out}`, label: `WAT ${wat}`, inputs: [wat], outputs: [out], signature: ['wabt', features, IN_PROCESS_VERSION],
      run: async () => {
        await compileWatFile(root, wat, out, features)
        return {ok: true, output: ''}
      },
    })
    initrd.push({archivePath: `/wasm/${base(wat)}.wasm`, source: out, mode: 0o644})
  }
  for (const c of src.wasmC) {
    const out = `${BUILD_DIR}/wasm/${base(c)}.wasm`
    const dep = `${BUILD_DIR}/obj/${c}.d`
    const argv = [tc.wasm.tools.cc, ...tc.wasm.profile.cflags, '-MMD', '-MF', dep, '-o', out, c]
    steps.push({
      id: `wasmcc:${out}`, label: `WASMCC ${c}`, inputs: [c], outputs: [out], depfile: dep, signature: argv, argv,
      run: async () => {
        ensureDirs(root, [out, dep])
        return runArgv(root, argv)
      },
    })
    compileCommands.push({directory: root, file: path.join(root, c), arguments: argv, output: path.join(root, out)})
    initrd.push({archivePath: `/wasm/${base(c)}.wasm`, source: out, mode: 0o644})
  }

  // Files copied as they are.
  for (const f of src.rootfs) initrd.push({archivePath: '/' + f.slice('user/rootfs/'.length), source: f, mode: 0o644})

  // Malformed ELF images for the loader's tests, from hello.
  const hello = `${BUILD_DIR}/user/hello.elf`
  if (src.userPrograms.includes('user/hello.c')) {
    const outs = TEST_IMAGE_NAMES.map((n) => `${BUILD_DIR}/badelf/${n}.elf`)
    steps.push({
      id: 'testimages', label: 'GEN build/badelf/*.elf', inputs: [hello], outputs: outs, signature: ['testimages', TEST_IMAGE_NAMES, IN_PROCESS_VERSION],
      run: async () => {
        const images = generateTestImages(readFileSync(path.resolve(root, hello)))
        ensureDirs(root, outs)
        for (const n of TEST_IMAGE_NAMES) {
          const file = path.resolve(root, `${BUILD_DIR}/badelf/${n}.elf`)
          writeFileSync(file + '.tmp', images[n])
          renameSync(file + '.tmp', file)
        }
        return {ok: true, output: ''}
      },
    })
    for (const n of TEST_IMAGE_NAMES) initrd.push({archivePath: `/badelf/${n}.elf`, source: `${BUILD_DIR}/badelf/${n}.elf`, mode: 0o644})
  }

  // Enough small generated files to keep the initrd past the kernel's old
  // fixed index of 512 entries (ktest tarfs_more_than_512_entries reads them all).
  const manyNames = Array.from({length: INITRD_TEST_MANY_FILES}, (_, i) => String(i).padStart(4, '0'))
  const manyOuts = manyNames.map((n) => `${BUILD_DIR}/testfiles/many/${n}`)
  steps.push({
    id: 'testfiles-many', label: `GEN build/testfiles/many/* (${INITRD_TEST_MANY_FILES} files)`, inputs: [], outputs: manyOuts,
    signature: ['testfiles-many', INITRD_TEST_MANY_FILES, IN_PROCESS_VERSION],
    run: async () => {
      ensureDirs(root, manyOuts)
      manyNames.forEach((n, i) => writeFileSync(path.resolve(root, manyOuts[i]), `many ${n}\n`))
      return {ok: true, output: ''}
    },
  })
  manyNames.forEach((n, i) => initrd.push({archivePath: `/test/many/${n}`, source: manyOuts[i], mode: 0o644}))

  const initrdOut = `${BUILD_DIR}/initrd.tar`
  const initrdSig = initrd.map((e) => [e.archivePath, e.source, e.mode])
  steps.push({
    id: 'initrd', label: `TAR ${initrdOut} (${initrd.length} files)`, inputs: [...initrd.map((e) => e.source), INITRD_LIMITS_HEADER], outputs: [initrdOut],
    signature: ['initrd', initrdSig, IN_PROCESS_VERSION],
    run: async () => {
      await packInitrd(root, initrd, initrdOut, readInitrdLimits(root))
      return {ok: true, output: ''}
    },
  })

  // Host build of the WASM interpreter (not again for a variant).
  let interpObjs: string[] = []
  if (tc.host && src.host.length > 0 && !variant) {
    const hp = tc.host.profile
    const objs = src.host.map((f) => compile(f, `${BUILD_DIR}/host/obj`, tc.host!.tools.cc, hp.cflags, 'HOSTCC'))
    // The interpreter and its guard pages, without kos-wasm's own programs: the host p2p programs run WASM with it.
    interpObjs = objs.filter((_, i) => src.host[i].startsWith('kernel/wasm/') || src.host[i] === 'tools/wasm/guard.c')
    const out = `${BUILD_DIR}/host/kos-wasm`
    const argv = [tc.host.tools.cc, '-o', out, ...objs, ...(hp.ldflags ?? [])]
    steps.push({
      id: 'ld:host/kos-wasm', label: `HOSTLD ${out}`, inputs: objs, outputs: [out], signature: argv, argv,
      run: async () => runArgv(root, argv),
    })
  }

  // Host build of the libp2p programs (build/host/NAME): the same portable code over POSIX.
  if (tc.host && src.p2p.programs.length > 0 && !variant) {
    const flags = [...tc.host.profile.cflags, '-I', 'user/p2p', '-I', 'user/lib']
    // user/lib/ktap.c is plain C under KOS_HOST: the host programs print the guest's KTAP lines.
    const objs = [...[...src.p2p.lib, ...src.p2p.host, 'user/lib/ktap.c'].map((f) => compile(f, `${BUILD_DIR}/host/obj`, tc.host!.tools.cc, flags, 'HOSTCC')), ...interpObjs]
    for (const prog of src.p2p.programs) {
      const obj = compile(prog, `${BUILD_DIR}/host/obj`, tc.host.tools.cc, flags, 'HOSTCC')
      const out = `${BUILD_DIR}/host/${base(prog)}`
      const argv = [tc.host.tools.cc, '-o', out, ...objs, obj, ...(tc.host.profile.ldflags ?? [])]
      steps.push({
        id: `ld:host/${base(prog)}`, label: `HOSTLD ${out}`, inputs: [...objs, obj], outputs: [out], signature: argv, argv,
        run: async () => runArgv(root, argv),
      })
    }
  }
  return {steps, compileCommands}
}

function scriptOf(ldflags: string[]): string | undefined {
  const i = ldflags.indexOf('-T')
  return i >= 0 ? ldflags[i + 1] : undefined
}

/** Writes build/compile_commands.json only when it changed (clangd reloads on change). */
export function writeCompileCommands(root: string, cmds: CompileCommand[]): void {
  const file = path.join(root, BUILD_DIR, 'compile_commands.json')
  const text = JSON.stringify(cmds, null, 1) + '\n'
  mkdirSync(path.dirname(file), {recursive: true})
  if (existsSync(file) && statSync(file).isFile() && readFileSync(file, 'utf8') === text) return
  writeFileSync(file, text)
}
