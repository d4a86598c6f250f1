import {rmSync} from 'node:fs'
import path from 'node:path'
import {Command} from '@oclif/core'

import {findRepoRoot} from '../util/root.js'

export default class Clean extends Command {
  static override description = 'Remove build/ (all outputs, the incremental state and the reports)'

  static override examples = ['<%= config.bin %> clean']

  async run(): Promise<void> {
    await this.parse(Clean)
    const dir = path.join(findRepoRoot(), 'build')
    rmSync(dir, {recursive: true, force: true})
    this.log(`removed ${dir}`)
  }
}
