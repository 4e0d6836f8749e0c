/* keymap.h: host keys to PS/2 scan code set 2 for a US 101/102/104-key
 * keyboard, and the key names scripts use ("Enter", "Down", "F1", "a").
 * Follows the IBM PS/2 Hardware Interface Technical Reference, "Keyboards
 * (101- and 102-Key)" (scan code set 2) and the USB HID Usage Tables,
 * Keyboard/Keypad page 0x07, which is also SDL2's SDL_Scancode numbering.
 *
 * Codes are those of kernel/iface.h: the set-2 make code, KEY_EXT for keys
 * sent with the E0 prefix, KEY_PAUSE for Pause. 0 means "no key". */
#ifndef CW_KEYMAP_H
#define CW_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/iface.h"

/* Set-2 code of a USB HID keyboard usage (an SDL_Scancode), or 0 for a
 * usage a PC keyboard does not have. */
uint16_t keymap_from_usb_hid(unsigned usage);

/* Set-2 code of a key name, or 0 if the name is unknown. Names are the
 * characters of the unshifted keys ("a", "1", "-", "/", ...) and words
 * matched without regard to case ("Enter", "Esc", "Down", "PgUp", "F1",
 * "Ctrl", "LShift", "AltGr", "KP7", "KPEnter", ...). */
uint16_t keymap_from_name(const char *name);

/* The key that types character c on a US layout: its code, and whether
 * Shift must be held. Handles printable ASCII, '\n' (Enter), '\t' (Tab)
 * and '\b' (Backspace). Returns 0 for any other character. */
uint16_t keymap_from_char(int c, bool *shift);

/* The canonical name of a code ("Enter", "a", "KP7"), or NULL. */
const char *keymap_name(uint16_t code);

/* True for Shift, Ctrl, Alt and the Windows keys. */
bool keymap_is_modifier(uint16_t code);

/* Set-2 codes of the modifiers scripts and hot keys use. */
#define KEYMAP_LSHIFT 0x12
#define KEYMAP_LCTRL 0x14
#define KEYMAP_LALT 0x11

#endif
