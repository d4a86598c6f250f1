// The kernel's console font (kernel/drivers/font.c), read from that file so the
// screendump decoder and the kernel share one table, and the cell layout
// fbcon.c draws: 8x16 pixels, glyph columns at 1..5, every glyph row twice.
import {readFileSync} from 'node:fs'
import path from 'node:path'

export const FONT_SOURCE = 'kernel/drivers/font.c'
export const CELL_W = 8
export const CELL_H = 16
const FIRST = 32
const GLYPHS = 95
const ROWS = 8
const WIDTH = 5

export class FontError extends Error {}

/** The glyph rows, by character code 32..126, parsed from the C table. */
export function parseFontSource(text: string, file = FONT_SOURCE): Map<string, number[]> {
  const rows = [...text.matchAll(/^\s*\{((?:\s*0x[0-9a-f]{2}\s*,?){8})\},\s*\/\*\s*(\d+)\b/gim)]
  if (rows.length !== GLYPHS) throw new FontError(`${file}: expected ${GLYPHS} glyph rows, found ${rows.length}`)
  const font = new Map<string, number[]>()
  rows.forEach((m, i) => {
    const code = Number(m[2])
    if (code !== FIRST + i) throw new FontError(`${file}: glyph ${i} is commented as ${code}, expected ${FIRST + i}`)
    const bytes = m[1].split(',').map((b) => b.trim()).filter(Boolean).map((b) => Number.parseInt(b, 16))
    if (bytes.length !== ROWS || bytes.some((b) => b > 0x1f)) throw new FontError(`${file}: glyph ${code} must be ${ROWS} rows of ${WIDTH} bits`)
    font.set(String.fromCharCode(code), bytes)
  })
  return font
}

export function loadFont(repoRoot: string): Map<string, number[]> {
  return parseFontSource(readFileSync(path.join(repoRoot, FONT_SOURCE), 'utf8'))
}

/** A cell as fbcon draws the glyph: CELL_H rows of CELL_W bits, "1" = foreground. */
export function cellBits(glyph: number[]): string {
  let out = ''
  for (let y = 0; y < CELL_H; y++) {
    const bits = glyph[y >> 1]
    for (let x = 0; x < CELL_W; x++) out += x >= 1 && x <= WIDTH && (bits >> (WIDTH - x)) & 1 ? '1' : '0'
  }
  return out
}

export interface Image {
  width: number
  height: number
  /** RGB, 3 bytes a pixel, rows top to bottom. */
  rgb: Uint8Array
}

/** Reads QEMU's screendump format, binary PPM (P6, maxval 255). */
export function parsePpm(data: Uint8Array): Image {
  const text = new TextDecoder('latin1').decode(data.subarray(0, 64))
  const m = /^P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(text)
  if (!m) throw new FontError('not a binary PPM (P6) image')
  const [width, height, max] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (max !== 255) throw new FontError(`PPM maxval ${max}, expected 255`)
  const start = m[0].length
  if (data.length < start + width * height * 3) throw new FontError(`PPM of ${width}x${height} is truncated (${data.length} bytes)`)
  return {width, height, rgb: data.subarray(start, start + width * height * 3)}
}

/**
 * The text on the screen: each 8x16 cell from the top-left corner matched
 * exactly against the font (a pixel is foreground when brighter than mid-grey);
 * a cell that matches no glyph is U+FFFD. Lines have trailing spaces removed.
 */
export function decodeScreen(img: Image, font: Map<string, number[]>): string[] {
  const byBits = new Map<string, string>()
  for (const [ch, g] of font) byBits.set(cellBits(g), ch)
  const cols = Math.floor(img.width / CELL_W)
  const rows = Math.floor(img.height / CELL_H)
  const lines: string[] = []
  for (let r = 0; r < rows; r++) {
    let line = ''
    for (let c = 0; c < cols; c++) {
      let bits = ''
      for (let y = 0; y < CELL_H; y++) {
        for (let x = 0; x < CELL_W; x++) {
          const i = ((r * CELL_H + y) * img.width + c * CELL_W + x) * 3
          bits += img.rgb[i] + img.rgb[i + 1] + img.rgb[i + 2] > 384 ? '1' : '0'
        }
      }
      line += byBits.get(bits) ?? '\uFFFD'
    }
    lines.push(line.trimEnd())
  }
  return lines
}
