// Setup of the unit project (vitest.config.ts): unit tests run no QEMU. A
// qemu-system-x86_64 first on PATH that only fails makes any test that starts
// the real one fail loudly instead of booting a guest.
import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

const dir = mkdtempSync(path.join(tmpdir(), 'kos-unit-noqemu-'))
const fake = path.join(dir, 'qemu-system-x86_64')
writeFileSync(fake, '#!/bin/sh\necho "unit tests must not start QEMU (put the test in test/integration)" >&2\nexit 99\n')
chmodSync(fake, 0o755)
process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`
