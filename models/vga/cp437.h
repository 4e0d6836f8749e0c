/* cp437.h: IBM code page 437 (the VGA ROM character set) to Unicode.
 * Used to read text-mode screens and glyphs matched in graphics modes. */
#ifndef CW_CP437_H
#define CW_CP437_H

#include <stddef.h>
#include <stdint.h>

/* Unicode code point shown by CP437 character c. 0x00 maps to a space
 * (the blank glyph); 0x01-0x1F and 0x7F map to their graphic symbols. */
uint32_t cp437_to_unicode(uint8_t c);

/* Writes the UTF-8 form of character c to out (1..3 bytes); returns the
 * number of bytes. */
size_t cp437_to_utf8(uint8_t c, char out[4]);

#endif
