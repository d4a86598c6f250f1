// `kos setup`: install the Debian packages the build and the runner need.
import {runTool} from '../util/spawn.js'
import {loadPackageList} from './toolchain.js'

export interface SetupPlan {
  installed: string[]
  missing: string[]
  commands: string[][]
}

/** dpkg-query reports "install ok installed" for a package that is really there. */
export async function installedPackages(pkgs: string[]): Promise<Set<string>> {
  const have = new Set<string>()
  for (const p of pkgs) {
    const r = await runTool('dpkg-query', ['-W', '-f=${Status}', p])
    if (r.code === 0 && r.stdout.includes('install ok installed')) have.add(p)
  }
  return have
}

export function planSetup(pkgs: string[], installed: Set<string>, isRoot: boolean): SetupPlan {
  const missing = pkgs.filter((p) => !installed.has(p))
  const sudo = isRoot ? [] : ['sudo']
  const commands = missing.length === 0 ? [] : [
    [...sudo, 'apt-get', 'update'],
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', ...missing],
  ]
  return {installed: pkgs.filter((p) => installed.has(p)), missing, commands}
}

export async function computeSetupPlan(root: string): Promise<SetupPlan> {
  const {packages} = loadPackageList(root)
  return planSetup(packages, await installedPackages(packages), process.getuid?.() === 0)
}
