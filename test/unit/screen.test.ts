// The screendump decoder: the kernel font read from kernel/drivers/font.c, cells laid
// out as fbcon.c draws them, PPM parsing, exact text back from pixels.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {CELL_H, CELL_W, FontError, cellBits, decodeScreen, loadFont, parseFontSource, parsePpm, type Image} from '../../src/screen/font.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')
const font = loadFont(repoRoot)

/** Draws lines of text the way fbcon does (fg 0xd0 grey on black) into an RGB image. */
function render(lines: string[], cols: number, rows: number): Image {
  const width = cols * CELL_W
  const height = rows * CELL_H
  const rgb = new Uint8Array(width * height * 3)
  lines.forEach((line, r) => [...line].forEach((ch, c) => {
    const bits = cellBits(font.get(ch)!)
    for (let i = 0; i < bits.length; i++) {
      if (bits[i] !== '1') continue
      const x = c * CELL_W + (i % CELL_W)
      const y = r * CELL_H + Math.floor(i / CELL_W)
      rgb.fill(0xd0, (y * width + x) * 3, (y * width + x) * 3 + 3)
    }
  }))
  return {width, height, rgb}
}

describe('the kernel font', () => {
  it('has every printable ASCII character, each cell different from every other', () => {
    expect([...font.keys()].join('')).toBe(Array.from({length: 95}, (_, i) => String.fromCharCode(32 + i)).join(''))
    expect(new Set([...font.values()].map(cellBits)).size).toBe(95)
    expect(cellBits(font.get(' ')!)).toBe('0'.repeat(CELL_W * CELL_H))
    // 'I' is .###. on its first row: cell columns 2..4 lit, twice.
    expect(cellBits(font.get('I')!).slice(0, 16)).toBe('0011100000111000')
  })

  it('a table with a glyph missing or out of order is refused', () => {
    const text = readFileSync(path.join(repoRoot, 'kernel/drivers/font.c'), 'utf8')
    expect(() => parseFontSource(text.replace(/^.*\/\* 65 A \*\/\n/m, ''))).toThrow('expected 95 glyph rows, found 94')
    expect(() => parseFontSource(text.replace('/* 66 B */', '/* 67 B */'))).toThrow(FontError)
  })
})

describe('decodeScreen', () => {
  it('reads back exactly the text drawn, by row, trailing blanks removed', () => {
    const text = ['kos: booting, command line \'init=/bin/hello hold=key\'', '', '[user] Hello from ring-3!', 'ok 1 hello ~{|}`^_\\']
    expect(decodeScreen(render(text, 80, 6), font)).toEqual([...text, '', ''])
  })

  it('a cell no glyph matches is U+FFFD, not a guess', () => {
    const img = render(['AB'], 4, 1)
    img.rgb.fill(0xff, 0, 3) // one stray pixel in A's cell (column 0 is always background)
    expect(decodeScreen(img, font)).toEqual(['\uFFFDB'])
  })
})

describe('parsePpm', () => {
  it('reads a P6 image and refuses anything else', () => {
    const head = new TextEncoder().encode('P6\n2 1\n255\n')
    const img = parsePpm(new Uint8Array([...head, 1, 2, 3, 4, 5, 6]))
    expect({w: img.width, h: img.height, rgb: [...img.rgb]}).toEqual({w: 2, h: 1, rgb: [1, 2, 3, 4, 5, 6]})
    expect(() => parsePpm(new TextEncoder().encode('P3\n1 1\n255\n0 0 0\n'))).toThrow('not a binary PPM (P6) image')
    expect(() => parsePpm(new Uint8Array([...head, 1, 2]))).toThrow('PPM of 2x1 is truncated (13 bytes)')
  })
})
