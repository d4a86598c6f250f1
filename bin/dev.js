#!/usr/bin/env -S node --import tsx
// Development entry: runs the TypeScript sources directly through tsx.
// The oclif development mode cannot register this tsx version on Node 20,
// so point the command directory at src/ explicitly.
import {Config, execute} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {register} from 'tsx/esm/api'

// The shebang loads tsx; `node bin/dev.js` (no --import) gets it from here.
register()

const root = new URL('..', import.meta.url).pathname
const pjson = JSON.parse(readFileSync(root + 'package.json', 'utf8'))
pjson.oclif = {...pjson.oclif, commands: './src/commands'}
await execute({development: true, dir: import.meta.url, loadOptions: await Config.load({root, pjson})})
