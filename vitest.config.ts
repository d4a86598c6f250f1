import {defineConfig} from 'vitest/config'

import {runTmpdir} from './test/tmpdir.setup.js'

// Three projects, by what a test needs (docs/ARCHITECTURE.md "Tests"):
//   unit   test/unit: pure TypeScript, no compiler, no QEMU; each test under 10 s (`npm run unit`)
//   host   test/host: C built for the host with toolchain/host.json (kos-wasm, the network
//          stack's and the p2p library's host drivers, the real clang/lld build)
//   qemu   test/integration: boots the kernel in QEMU
// `vitest run` (and `kos check`, `npm test`) runs all three. The run's temporary
// files live in a directory of its own, removed at the end (test/tmpdir.setup.ts).
const SLOW = 600_000
runTmpdir()

export default defineConfig({
  test: {
    globalSetup: ['test/tmpdir.setup.ts'],
    projects: [
      {extends: true, test: {name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/unit/no-qemu.setup.ts'], testTimeout: 10_000, hookTimeout: 10_000}},
      // beforeAll hooks build the kernel or the interpreter: minutes on a loaded 2-core machine.
      {extends: true, test: {name: 'host', include: ['test/host/**/*.test.ts'], testTimeout: SLOW, hookTimeout: SLOW}},
      {extends: true, test: {name: 'qemu', include: ['test/integration/**/*.test.ts'], testTimeout: SLOW, hookTimeout: SLOW}},
    ],
  },
})
