/* Text console on the loader's linear framebuffer (32 bits a pixel). Cells of
 * 8x16 pixels, light grey on black; scrolls by moving the pixel rows up. */
#include "drivers/fbcon.h"
#include "drivers/font.h"
#include "arch/x86_64/multiboot.h"
#include "mm/mmio.h"
#include "lib/string.h"
#include <stdint.h>

#define FG_LEVEL 0xd0   /* each of R, G, B */

static struct {
    bool on;
    uint8_t *base;
    uint32_t pitch, cols, rows, col, row;
    uint32_t fg, bg;
} con;

static uint32_t rgb(uint8_t level)
{
    const struct boot_framebuffer *fb = &boot_info.fb;
    return ((uint32_t)level << fb->red_pos) | ((uint32_t)level << fb->green_pos) | ((uint32_t)level << fb->blue_pos);
}

static void fill_rows(uint32_t y0, uint32_t y1)
{
    for (uint32_t y = y0; y < y1; y++) {
        uint32_t *p = (uint32_t *)(con.base + (uint64_t)y * con.pitch);
        for (uint32_t x = 0; x < con.cols * FONT_CELL_W; x++)
            p[x] = con.bg;
    }
}

bool fbcon_init(void)
{
    const struct boot_framebuffer *fb = &boot_info.fb;
    if (!fb->phys || fb->width < FONT_CELL_W || fb->height < FONT_CELL_H)
        return false;
    con.base = map_mmio(fb->phys, (size_t)fb->pitch * fb->height);
    if (!con.base)
        return false;
    con.pitch = fb->pitch;
    con.cols = fb->width / FONT_CELL_W;
    con.rows = fb->height / FONT_CELL_H;
    con.col = con.row = 0;
    con.fg = rgb(FG_LEVEL);
    con.bg = 0;
    fill_rows(0, con.rows * FONT_CELL_H);
    con.on = true;
    return true;
}

static void draw_glyph(uint32_t col, uint32_t row, char c)
{
    const uint8_t *g = font_glyphs[(uint8_t)c - FONT_FIRST];
    for (uint32_t y = 0; y < FONT_CELL_H; y++) {
        uint32_t *p = (uint32_t *)(con.base + (uint64_t)(row * FONT_CELL_H + y) * con.pitch) + col * FONT_CELL_W;
        uint8_t bits = g[y / 2];
        for (uint32_t x = 0; x < FONT_CELL_W; x++) {
            /* Glyph column i (bit 4 - i) sits at cell column 1 + i. */
            bool set = x >= 1 && x <= FONT_WIDTH && (bits >> (FONT_WIDTH - x)) & 1;
            p[x] = set ? con.fg : con.bg;
        }
    }
}

static void newline(void)
{
    con.col = 0;
    if (++con.row < con.rows)
        return;
    /* Scroll one text row: pixel rows up by a cell, clear the last. */
    uint64_t cell = (uint64_t)FONT_CELL_H * con.pitch;
    memmove(con.base, con.base + cell, (con.rows - 1) * cell);
    fill_rows((con.rows - 1) * FONT_CELL_H, con.rows * FONT_CELL_H);
    con.row = con.rows - 1;
}

void fbcon_write(const char *s, size_t n)
{
    if (!con.on)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            newline();
        } else if (c == '\r') {
            con.col = 0;
        } else if (c == '\t') {
            do
                fbcon_write(" ", 1);
            while (con.col % 8 != 0);
        } else if (c >= FONT_FIRST && c < FONT_FIRST + FONT_GLYPHS) {
            if (con.col == con.cols)
                newline();
            draw_glyph(con.col++, con.row, c);
        }
        /* Other control bytes draw nothing. */
    }
}
