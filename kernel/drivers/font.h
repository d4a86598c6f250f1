#pragma once
#include <stdint.h>

#define FONT_FIRST  32      /* ' ' */
#define FONT_GLYPHS 95      /* ' ' .. '~' */
#define FONT_ROWS   8
#define FONT_WIDTH  5
/* The cell a glyph is drawn in (fbcon.c): column 1..5, each row twice. */
#define FONT_CELL_W 8
#define FONT_CELL_H 16

extern const uint8_t font_glyphs[FONT_GLYPHS][FONT_ROWS];
