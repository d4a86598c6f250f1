// The ISO that `kos image` writes, booted as a PC boots it: SeaBIOS from the CD
// (-cdrom) and UEFI (OVMF) from the same hybrid image; GRUB loads the kernel by
// multiboot2 with the initrd module. Each variant's menu boots the case's entry at once.
import {isoEntry} from '../src/image/index.js'
import type {CaseDef} from '../src/suites/types.js'
import {userNetCase} from './lib/cases.js'

const HELLO = isoEntry('hello')
const NET = isoEntry('net')
/** The line hello prints, which the screen must show as one text row, exactly. */
const HELLO_LINE = '[user] Hello from ring-3!'
const helloCase = (firmware: 'bios' | 'uefi', name: string): CaseDef => ({
  id: `iso_${firmware}_hello`,
  phase: 1,
  title: `the ISO boots under ${name}: GRUB loads the kernel and initrd by multiboot2, hello runs in ring 3, ` +
    'and a QMP screendump decoded with the kernel font shows its line on the framebuffer console',
  components: ['boot-image', 'fbcon', 'boot', 'elf-loader', 'ring3'],
  syscalls: [],
  profile: 'screen',
  boot: {firmware, entry: HELLO.id},
  append: HELLO.append,
  timeoutSec: 300,
  peer: {name: 'screen', options: {line: HELLO_LINE}},
  expect: {log: [`kos: booting, command line '${HELLO.append}'`, 'kos: multiboot2 loader, framebuffer 1024x768', 'kos: screen console, 1024x768 pixels', HELLO_LINE, 'ok 1 hello']},
})

const netCase = (firmware: 'bios' | 'uefi', name: string): CaseDef =>
  userNetCase(1, `iso_${firmware}_net`,
    `the ISO's network node entry under ${name}: the e1000 comes up and the user-space UDP echo answers 200 datagrams from the host`,
    ['boot-image', 'e1000', 'udp', 'sockets'], NET.append, {name: 'udp-echo-user', options: {count: 200}},
    {boot: {firmware, entry: NET.id}, timeoutSec: 400, log: ['netecho: ready ip 10.0.2.15 port 7 (user space)']})

export const cases: CaseDef[] = [
  helloCase('bios', 'SeaBIOS (CD)'),
  helloCase('uefi', 'UEFI (OVMF)'),
  netCase('bios', 'SeaBIOS (CD)'),
  netCase('uefi', 'UEFI (OVMF)'),
]
