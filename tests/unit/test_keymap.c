/* test_keymap.c: host keys to PS/2 set 2 (host/keymap.c). Every key of a US
 * keyboard is checked twice: against set-2 codes from the IBM PS/2
 * Technical Reference, and through the 8042 translation table against the
 * set-1 (XT) codes, which come from an independent table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <SDL_scancode.h>
#include <cmocka.h>

#include "host/keymap.h"
#include "models/input/ps2.h"

struct expect {
    int scancode;   /* SDL_Scancode (USB HID usage) */
    const char *name;
    uint16_t set2;  /* with KEY_EXT */
    uint8_t set1;   /* make code after the E0 prefix, if any */
};

#define X(c) (KEY_EXT | (c))

static const struct expect us_keys[] = {
    {SDL_SCANCODE_ESCAPE, "Esc", 0x76, 0x01},
    {SDL_SCANCODE_F1, "F1", 0x05, 0x3B},
    {SDL_SCANCODE_F2, "F2", 0x06, 0x3C},
    {SDL_SCANCODE_F3, "F3", 0x04, 0x3D},
    {SDL_SCANCODE_F4, "F4", 0x0C, 0x3E},
    {SDL_SCANCODE_F5, "F5", 0x03, 0x3F},
    {SDL_SCANCODE_F6, "F6", 0x0B, 0x40},
    {SDL_SCANCODE_F7, "F7", 0x83, 0x41},
    {SDL_SCANCODE_F8, "F8", 0x0A, 0x42},
    {SDL_SCANCODE_F9, "F9", 0x01, 0x43},
    {SDL_SCANCODE_F10, "F10", 0x09, 0x44},
    {SDL_SCANCODE_F11, "F11", 0x78, 0x57},
    {SDL_SCANCODE_F12, "F12", 0x07, 0x58},
    {SDL_SCANCODE_SCROLLLOCK, "ScrollLock", 0x7E, 0x46},
    {SDL_SCANCODE_GRAVE, "`", 0x0E, 0x29},
    {SDL_SCANCODE_1, "1", 0x16, 0x02},
    {SDL_SCANCODE_2, "2", 0x1E, 0x03},
    {SDL_SCANCODE_3, "3", 0x26, 0x04},
    {SDL_SCANCODE_4, "4", 0x25, 0x05},
    {SDL_SCANCODE_5, "5", 0x2E, 0x06},
    {SDL_SCANCODE_6, "6", 0x36, 0x07},
    {SDL_SCANCODE_7, "7", 0x3D, 0x08},
    {SDL_SCANCODE_8, "8", 0x3E, 0x09},
    {SDL_SCANCODE_9, "9", 0x46, 0x0A},
    {SDL_SCANCODE_0, "0", 0x45, 0x0B},
    {SDL_SCANCODE_MINUS, "-", 0x4E, 0x0C},
    {SDL_SCANCODE_EQUALS, "=", 0x55, 0x0D},
    {SDL_SCANCODE_BACKSPACE, "Backspace", 0x66, 0x0E},
    {SDL_SCANCODE_TAB, "Tab", 0x0D, 0x0F},
    {SDL_SCANCODE_Q, "q", 0x15, 0x10},
    {SDL_SCANCODE_W, "w", 0x1D, 0x11},
    {SDL_SCANCODE_E, "e", 0x24, 0x12},
    {SDL_SCANCODE_R, "r", 0x2D, 0x13},
    {SDL_SCANCODE_T, "t", 0x2C, 0x14},
    {SDL_SCANCODE_Y, "y", 0x35, 0x15},
    {SDL_SCANCODE_U, "u", 0x3C, 0x16},
    {SDL_SCANCODE_I, "i", 0x43, 0x17},
    {SDL_SCANCODE_O, "o", 0x44, 0x18},
    {SDL_SCANCODE_P, "p", 0x4D, 0x19},
    {SDL_SCANCODE_LEFTBRACKET, "[", 0x54, 0x1A},
    {SDL_SCANCODE_RIGHTBRACKET, "]", 0x5B, 0x1B},
    {SDL_SCANCODE_BACKSLASH, "\\", 0x5D, 0x2B},
    {SDL_SCANCODE_CAPSLOCK, "CapsLock", 0x58, 0x3A},
    {SDL_SCANCODE_A, "a", 0x1C, 0x1E},
    {SDL_SCANCODE_S, "s", 0x1B, 0x1F},
    {SDL_SCANCODE_D, "d", 0x23, 0x20},
    {SDL_SCANCODE_F, "f", 0x2B, 0x21},
    {SDL_SCANCODE_G, "g", 0x34, 0x22},
    {SDL_SCANCODE_H, "h", 0x33, 0x23},
    {SDL_SCANCODE_J, "j", 0x3B, 0x24},
    {SDL_SCANCODE_K, "k", 0x42, 0x25},
    {SDL_SCANCODE_L, "l", 0x4B, 0x26},
    {SDL_SCANCODE_SEMICOLON, ";", 0x4C, 0x27},
    {SDL_SCANCODE_APOSTROPHE, "'", 0x52, 0x28},
    {SDL_SCANCODE_RETURN, "Enter", 0x5A, 0x1C},
    {SDL_SCANCODE_LSHIFT, "LShift", 0x12, 0x2A},
    {SDL_SCANCODE_NONUSBACKSLASH, "102nd", 0x61, 0x56},
    {SDL_SCANCODE_Z, "z", 0x1A, 0x2C},
    {SDL_SCANCODE_X, "x", 0x22, 0x2D},
    {SDL_SCANCODE_C, "c", 0x21, 0x2E},
    {SDL_SCANCODE_V, "v", 0x2A, 0x2F},
    {SDL_SCANCODE_B, "b", 0x32, 0x30},
    {SDL_SCANCODE_N, "n", 0x31, 0x31},
    {SDL_SCANCODE_M, "m", 0x3A, 0x32},
    {SDL_SCANCODE_COMMA, ",", 0x41, 0x33},
    {SDL_SCANCODE_PERIOD, ".", 0x49, 0x34},
    {SDL_SCANCODE_SLASH, "/", 0x4A, 0x35},
    {SDL_SCANCODE_RSHIFT, "RShift", 0x59, 0x36},
    {SDL_SCANCODE_LCTRL, "LCtrl", 0x14, 0x1D},
    {SDL_SCANCODE_LGUI, "LWin", X(0x1F), 0x5B},
    {SDL_SCANCODE_LALT, "LAlt", 0x11, 0x38},
    {SDL_SCANCODE_SPACE, "Space", 0x29, 0x39},
    {SDL_SCANCODE_RALT, "RAlt", X(0x11), 0x38},
    {SDL_SCANCODE_RGUI, "RWin", X(0x27), 0x5C},
    {SDL_SCANCODE_APPLICATION, "Menu", X(0x2F), 0x5D},
    {SDL_SCANCODE_RCTRL, "RCtrl", X(0x14), 0x1D},
    {SDL_SCANCODE_INSERT, "Insert", X(0x70), 0x52},
    {SDL_SCANCODE_HOME, "Home", X(0x6C), 0x47},
    {SDL_SCANCODE_PAGEUP, "PageUp", X(0x7D), 0x49},
    {SDL_SCANCODE_DELETE, "Delete", X(0x71), 0x53},
    {SDL_SCANCODE_END, "End", X(0x69), 0x4F},
    {SDL_SCANCODE_PAGEDOWN, "PageDown", X(0x7A), 0x51},
    {SDL_SCANCODE_UP, "Up", X(0x75), 0x48},
    {SDL_SCANCODE_LEFT, "Left", X(0x6B), 0x4B},
    {SDL_SCANCODE_DOWN, "Down", X(0x72), 0x50},
    {SDL_SCANCODE_RIGHT, "Right", X(0x74), 0x4D},
    {SDL_SCANCODE_NUMLOCKCLEAR, "NumLock", 0x77, 0x45},
    {SDL_SCANCODE_KP_DIVIDE, "KP/", X(0x4A), 0x35},
    {SDL_SCANCODE_KP_MULTIPLY, "KP*", 0x7C, 0x37},
    {SDL_SCANCODE_KP_MINUS, "KP-", 0x7B, 0x4A},
    {SDL_SCANCODE_KP_7, "KP7", 0x6C, 0x47},
    {SDL_SCANCODE_KP_8, "KP8", 0x75, 0x48},
    {SDL_SCANCODE_KP_9, "KP9", 0x7D, 0x49},
    {SDL_SCANCODE_KP_PLUS, "KP+", 0x79, 0x4E},
    {SDL_SCANCODE_KP_4, "KP4", 0x6B, 0x4B},
    {SDL_SCANCODE_KP_5, "KP5", 0x73, 0x4C},
    {SDL_SCANCODE_KP_6, "KP6", 0x74, 0x4D},
    {SDL_SCANCODE_KP_1, "KP1", 0x69, 0x4F},
    {SDL_SCANCODE_KP_2, "KP2", 0x72, 0x50},
    {SDL_SCANCODE_KP_3, "KP3", 0x7A, 0x51},
    {SDL_SCANCODE_KP_ENTER, "KPEnter", X(0x5A), 0x1C},
    {SDL_SCANCODE_KP_0, "KP0", 0x70, 0x52},
    {SDL_SCANCODE_KP_PERIOD, "KP.", 0x71, 0x53},
    {SDL_SCANCODE_INTERNATIONAL1, "Ro", 0x51, 0x73},
    {SDL_SCANCODE_INTERNATIONAL2, "Katakana", 0x13, 0x70},
    {SDL_SCANCODE_INTERNATIONAL3, "Yen", 0x6A, 0x7D},
    {SDL_SCANCODE_INTERNATIONAL4, "Henkan", 0x64, 0x79},
    {SDL_SCANCODE_INTERNATIONAL5, "Muhenkan", 0x67, 0x7B},
    {SDL_SCANCODE_POWER, "Power", X(0x37), 0x5E},
    {SDL_SCANCODE_MUTE, "Mute", X(0x23), 0x20},
    {SDL_SCANCODE_VOLUMEUP, "VolumeUp", X(0x32), 0x30},
    {SDL_SCANCODE_VOLUMEDOWN, "VolumeDown", X(0x21), 0x2E},
};

#define NKEYS (sizeof us_keys / sizeof us_keys[0])

static void every_key_has_its_set2_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKEYS; i++) {
        uint16_t code = keymap_from_usb_hid((unsigned)us_keys[i].scancode);
        if (code != us_keys[i].set2)
            fail_msg("%s: scancode %d gave 0x%03x, expected 0x%03x", us_keys[i].name,
                     us_keys[i].scancode, code, us_keys[i].set2);
    }
}

static void every_key_translates_to_its_set1_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKEYS; i++) {
        uint16_t code = keymap_from_usb_hid((unsigned)us_keys[i].scancode);
        uint8_t set1 = i8042_translate_set2((uint8_t)code);
        if (set1 != us_keys[i].set1)
            fail_msg("%s: set 2 0x%02x translates to 0x%02x, the XT code is 0x%02x",
                     us_keys[i].name, code & 0xFF, set1, us_keys[i].set1);
    }
}

/* No two keys share a code, so the guest can tell every key apart (the
 * ISO key left of Enter is the only deliberate alias). */
static void codes_are_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKEYS; i++)
        for (size_t j = i + 1; j < NKEYS; j++)
            assert_int_not_equal(us_keys[i].set2, us_keys[j].set2);
    assert_int_equal(keymap_from_usb_hid(SDL_SCANCODE_NONUSHASH), 0x5D);
}

static void special_keys(void **state)
{
    (void)state;
    assert_int_equal(keymap_from_usb_hid(SDL_SCANCODE_PAUSE), KEY_PAUSE);
    /* Print Screen is E0 7C; the keyboard model adds the fake shifts. */
    assert_int_equal(keymap_from_usb_hid(SDL_SCANCODE_PRINTSCREEN), KEY_EXT | 0x7C);
    assert_int_equal(keymap_from_usb_hid(0), 0);
    assert_int_equal(keymap_from_usb_hid(SDL_SCANCODE_F13), 0);
    assert_int_equal(keymap_from_usb_hid(SDL_SCANCODE_AUDIONEXT), 0);
    assert_int_equal(keymap_from_usb_hid(100000), 0);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKEYS; i++) {
        assert_int_equal(keymap_from_name(us_keys[i].name), us_keys[i].set2);
        assert_string_equal(keymap_name(us_keys[i].set2), us_keys[i].name);
    }
    assert_string_equal(keymap_name(KEY_PAUSE), "Pause");
    assert_null(keymap_name(0x02));
}

static void names_and_aliases(void **state)
{
    (void)state;
    assert_int_equal(keymap_from_name("enter"), 0x5A);
    assert_int_equal(keymap_from_name("Return"), 0x5A);
    assert_int_equal(keymap_from_name("DOWN"), KEY_EXT | 0x72);
    assert_int_equal(keymap_from_name("A"), 0x1C);
    assert_int_equal(keymap_from_name("a"), 0x1C);
    assert_int_equal(keymap_from_name("Escape"), 0x76);
    assert_int_equal(keymap_from_name("PgDn"), KEY_EXT | 0x7A);
    assert_int_equal(keymap_from_name("Ctrl"), 0x14);
    assert_int_equal(keymap_from_name("AltGr"), KEY_EXT | 0x11);
    assert_int_equal(keymap_from_name("Shift"), 0x12);
    assert_int_equal(keymap_from_name("Del"), KEY_EXT | 0x71);
    assert_int_equal(keymap_from_name("Space"), 0x29);
    assert_int_equal(keymap_from_name("f10"), 0x09);
    assert_int_equal(keymap_from_name("Pause"), KEY_PAUSE);
    assert_int_equal(keymap_from_name("F13"), 0);
    assert_int_equal(keymap_from_name("Enterr"), 0);
    assert_int_equal(keymap_from_name("!"), 0); /* a shifted character is no key name */
    assert_int_equal(keymap_from_name(""), 0);
    assert_int_equal(keymap_from_name(NULL), 0);
}

static void characters_of_a_us_layout(void **state)
{
    (void)state;
    static const char plain[] = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./ \n\t";
    static const char shifted[] = "~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:\"ZXCVBNM<>?";
    for (size_t i = 0; plain[i]; i++) {
        bool shift = true;
        uint16_t code = keymap_from_char(plain[i], &shift);
        assert_int_not_equal(code, 0);
        assert_false(shift);
        /* The same key types the matching shifted character. */
        if (i < sizeof shifted - 1) {
            bool s2 = false;
            assert_int_equal(keymap_from_char(shifted[i], &s2), code);
            assert_true(s2);
        }
    }
    bool shift;
    assert_int_equal(keymap_from_char('Q', &shift), 0x15);
    assert_true(shift);
    assert_int_equal(keymap_from_char('\n', &shift), 0x5A);
    assert_int_equal(keymap_from_char(0xE9, &shift), 0); /* é: not on a US board */
    assert_int_equal(keymap_from_char(0, &shift), 0);
    assert_int_equal(keymap_from_char(0x01, &shift), 0);
}

static void modifiers(void **state)
{
    (void)state;
    static const char *const mods[] = {"LShift", "RShift", "LCtrl", "RCtrl", "LAlt",
                                       "RAlt", "LWin", "RWin"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        assert_true(keymap_is_modifier(keymap_from_name(mods[i])));
    assert_false(keymap_is_modifier(keymap_from_name("a")));
    assert_false(keymap_is_modifier(keymap_from_name("CapsLock")));
    assert_false(keymap_is_modifier(keymap_from_name("Menu")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_has_its_set2_code),
        cmocka_unit_test(every_key_translates_to_its_set1_code),
        cmocka_unit_test(codes_are_distinct),
        cmocka_unit_test(special_keys),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(names_and_aliases),
        cmocka_unit_test(characters_of_a_us_layout),
        cmocka_unit_test(modifiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
