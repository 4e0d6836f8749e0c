/* keymap.c: the keys of a US PC keyboard as PS/2 scan code set 2, by USB HID
 * usage (SDL scancode), by name and by the character they type.
 * IBM PS/2 Hardware Interface Technical Reference (set 2); USB HID Usage
 * Tables, page 0x07 (Keyboard/Keypad). */
#include "host/keymap.h"

#include <stddef.h>
#include <strings.h>

#define E(code) (KEY_EXT | (code))

struct keymap_key {
    const char *name;  /* canonical name */
    uint16_t code;     /* set 2 */
    uint8_t usage;     /* USB HID usage, 0 if none */
    char plain, shifted; /* characters it types on a US layout, 0 if none */
};

/* Every key of a US 104-key keyboard, the 102nd key of ISO boards and the
 * Japanese keys, in keyboard order. */
static const struct keymap_key keymap_keys[] = {
    {"Esc", 0x76, 0x29, 0x1B, 0},
    {"F1", 0x05, 0x3A, 0, 0},
    {"F2", 0x06, 0x3B, 0, 0},
    {"F3", 0x04, 0x3C, 0, 0},
    {"F4", 0x0C, 0x3D, 0, 0},
    {"F5", 0x03, 0x3E, 0, 0},
    {"F6", 0x0B, 0x3F, 0, 0},
    {"F7", 0x83, 0x40, 0, 0},
    {"F8", 0x0A, 0x41, 0, 0},
    {"F9", 0x01, 0x42, 0, 0},
    {"F10", 0x09, 0x43, 0, 0},
    {"F11", 0x78, 0x44, 0, 0},
    {"F12", 0x07, 0x45, 0, 0},
    {"PrintScreen", E(0x7C), 0x46, 0, 0},
    {"ScrollLock", 0x7E, 0x47, 0, 0},
    {"Pause", KEY_PAUSE, 0x48, 0, 0},

    {"`", 0x0E, 0x35, '`', '~'},
    {"1", 0x16, 0x1E, '1', '!'},
    {"2", 0x1E, 0x1F, '2', '@'},
    {"3", 0x26, 0x20, '3', '#'},
    {"4", 0x25, 0x21, '4', '$'},
    {"5", 0x2E, 0x22, '5', '%'},
    {"6", 0x36, 0x23, '6', '^'},
    {"7", 0x3D, 0x24, '7', '&'},
    {"8", 0x3E, 0x25, '8', '*'},
    {"9", 0x46, 0x26, '9', '('},
    {"0", 0x45, 0x27, '0', ')'},
    {"-", 0x4E, 0x2D, '-', '_'},
    {"=", 0x55, 0x2E, '=', '+'},
    {"Backspace", 0x66, 0x2A, '\b', 0},

    {"Tab", 0x0D, 0x2B, '\t', 0},
    {"q", 0x15, 0x14, 'q', 'Q'},
    {"w", 0x1D, 0x1A, 'w', 'W'},
    {"e", 0x24, 0x08, 'e', 'E'},
    {"r", 0x2D, 0x15, 'r', 'R'},
    {"t", 0x2C, 0x17, 't', 'T'},
    {"y", 0x35, 0x1C, 'y', 'Y'},
    {"u", 0x3C, 0x18, 'u', 'U'},
    {"i", 0x43, 0x0C, 'i', 'I'},
    {"o", 0x44, 0x12, 'o', 'O'},
    {"p", 0x4D, 0x13, 'p', 'P'},
    {"[", 0x54, 0x2F, '[', '{'},
    {"]", 0x5B, 0x30, ']', '}'},
    {"\\", 0x5D, 0x31, '\\', '|'},

    {"CapsLock", 0x58, 0x39, 0, 0},
    {"a", 0x1C, 0x04, 'a', 'A'},
    {"s", 0x1B, 0x16, 's', 'S'},
    {"d", 0x23, 0x07, 'd', 'D'},
    {"f", 0x2B, 0x09, 'f', 'F'},
    {"g", 0x34, 0x0A, 'g', 'G'},
    {"h", 0x33, 0x0B, 'h', 'H'},
    {"j", 0x3B, 0x0D, 'j', 'J'},
    {"k", 0x42, 0x0E, 'k', 'K'},
    {"l", 0x4B, 0x0F, 'l', 'L'},
    {";", 0x4C, 0x33, ';', ':'},
    {"'", 0x52, 0x34, '\'', '"'},
    {"Enter", 0x5A, 0x28, '\n', 0},

    {"LShift", 0x12, 0xE1, 0, 0},
    {"102nd", 0x61, 0x64, 0, 0}, /* ISO key left of Z; US boards lack it */
    {"z", 0x1A, 0x1D, 'z', 'Z'},
    {"x", 0x22, 0x1B, 'x', 'X'},
    {"c", 0x21, 0x06, 'c', 'C'},
    {"v", 0x2A, 0x19, 'v', 'V'},
    {"b", 0x32, 0x05, 'b', 'B'},
    {"n", 0x31, 0x11, 'n', 'N'},
    {"m", 0x3A, 0x10, 'm', 'M'},
    {",", 0x41, 0x36, ',', '<'},
    {".", 0x49, 0x37, '.', '>'},
    {"/", 0x4A, 0x38, '/', '?'},
    {"RShift", 0x59, 0xE5, 0, 0},

    {"LCtrl", 0x14, 0xE0, 0, 0},
    {"LWin", E(0x1F), 0xE3, 0, 0},
    {"LAlt", 0x11, 0xE2, 0, 0},
    {"Space", 0x29, 0x2C, ' ', 0},
    {"RAlt", E(0x11), 0xE6, 0, 0},
    {"RWin", E(0x27), 0xE7, 0, 0},
    {"Menu", E(0x2F), 0x65, 0, 0},
    {"RCtrl", E(0x14), 0xE4, 0, 0},

    {"Insert", E(0x70), 0x49, 0, 0},
    {"Home", E(0x6C), 0x4A, 0, 0},
    {"PageUp", E(0x7D), 0x4B, 0, 0},
    {"Delete", E(0x71), 0x4C, 0x7F, 0},
    {"End", E(0x69), 0x4D, 0, 0},
    {"PageDown", E(0x7A), 0x4E, 0, 0},
    {"Up", E(0x75), 0x52, 0, 0},
    {"Left", E(0x6B), 0x50, 0, 0},
    {"Down", E(0x72), 0x51, 0, 0},
    {"Right", E(0x74), 0x4F, 0, 0},

    {"NumLock", 0x77, 0x53, 0, 0},
    {"KP/", E(0x4A), 0x54, 0, 0},
    {"KP*", 0x7C, 0x55, 0, 0},
    {"KP-", 0x7B, 0x56, 0, 0},
    {"KP7", 0x6C, 0x5F, 0, 0},
    {"KP8", 0x75, 0x60, 0, 0},
    {"KP9", 0x7D, 0x61, 0, 0},
    {"KP+", 0x79, 0x57, 0, 0},
    {"KP4", 0x6B, 0x5C, 0, 0},
    {"KP5", 0x73, 0x5D, 0, 0},
    {"KP6", 0x74, 0x5E, 0, 0},
    {"KP1", 0x69, 0x59, 0, 0},
    {"KP2", 0x72, 0x5A, 0, 0},
    {"KP3", 0x7A, 0x5B, 0, 0},
    {"KPEnter", E(0x5A), 0x58, 0, 0},
    {"KP0", 0x70, 0x62, 0, 0},
    {"KP.", 0x71, 0x63, 0, 0},

    /* Japanese 106/109-key boards. */
    {"Ro", 0x51, 0x87, 0, 0},
    {"Katakana", 0x13, 0x88, 0, 0},
    {"Yen", 0x6A, 0x89, 0, 0},
    {"Henkan", 0x64, 0x8A, 0, 0},
    {"Muhenkan", 0x67, 0x8B, 0, 0},

    /* ACPI and multimedia keys (Microsoft's set-2 assignments). */
    {"Power", E(0x37), 0x66, 0, 0},
    {"Mute", E(0x23), 0x7F, 0, 0},
    {"VolumeUp", E(0x32), 0x80, 0, 0},
    {"VolumeDown", E(0x21), 0x81, 0, 0},
};

#define KEYMAP_NKEYS (sizeof keymap_keys / sizeof keymap_keys[0])

/* Other names scripts may use for the same keys. */
static const struct {
    const char *alias, *name;
} keymap_aliases[] = {
    {"Escape", "Esc"},      {"Return", "Enter"},      {"Ret", "Enter"},
    {"BS", "Backspace"},    {"Del", "Delete"},        {"Ins", "Insert"},
    {"PgUp", "PageUp"},     {"PgDn", "PageDown"},     {"PageDn", "PageDown"},
    {"PrtSc", "PrintScreen"}, {"Print", "PrintScreen"}, {"Break", "Pause"},
    {"Shift", "LShift"},    {"Ctrl", "LCtrl"},        {"Control", "LCtrl"},
    {"Alt", "LAlt"},        {"AltGr", "RAlt"},        {"Win", "LWin"},
    {"Super", "LWin"},      {"Meta", "LWin"},         {"LSuper", "LWin"},
    {"RSuper", "RWin"},     {"Apps", "Menu"},         {"Application", "Menu"},
    {"Caps", "CapsLock"},   {"Num", "NumLock"},       {"Scroll", "ScrollLock"},
    {"Backslash", "\\"},    {"Minus", "-"},           {"Equal", "="},
    {"Grave", "`"},         {"Backquote", "`"},       {"Semicolon", ";"},
    {"Apostrophe", "'"},    {"Quote", "'"},           {"Comma", ","},
    {"Period", "."},        {"Dot", "."},             {"Slash", "/"},
    {"LeftBracket", "["},   {"RightBracket", "]"},    {"LBracket", "["},
    {"RBracket", "]"},      {"LessGreater", "102nd"}, {"KPDivide", "KP/"},
    {"KPMultiply", "KP*"},  {"KPMinus", "KP-"},       {"KPPlus", "KP+"},
    {"KPDot", "KP."},       {"KPDel", "KP."},         {"Spacebar", "Space"},
};

static const struct keymap_key *keymap_find_name(const char *name)
{
    /* One character: the key that types it unshifted (case-insensitive for
     * letters), so "a" and "A" are both the A key. */
    if (name[0] && !name[1]) {
        char c = name[0];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        for (size_t i = 0; i < KEYMAP_NKEYS; i++)
            if (keymap_keys[i].name[0] == c && !keymap_keys[i].name[1])
                return &keymap_keys[i];
        return NULL;
    }
    for (size_t i = 0; i < KEYMAP_NKEYS; i++)
        if (strcasecmp(keymap_keys[i].name, name) == 0)
            return &keymap_keys[i];
    for (size_t i = 0; i < sizeof keymap_aliases / sizeof keymap_aliases[0]; i++)
        if (strcasecmp(keymap_aliases[i].alias, name) == 0)
            return keymap_find_name(keymap_aliases[i].name);
    return NULL;
}

uint16_t keymap_from_name(const char *name)
{
    if (!name)
        return 0;
    const struct keymap_key *k = keymap_find_name(name);
    return k ? k->code : 0;
}

uint16_t keymap_from_usb_hid(unsigned usage)
{
    /* The ISO key left of Enter (non-US #) is wired like the US backslash. */
    if (usage == 0x32)
        usage = 0x31;
    if (usage == 0 || usage > 0xFF)
        return 0;
    for (size_t i = 0; i < KEYMAP_NKEYS; i++)
        if (keymap_keys[i].usage == usage)
            return keymap_keys[i].code;
    return 0;
}

uint16_t keymap_from_char(int c, bool *shift)
{
    if (c <= 0 || c > 0x7F)
        return 0;
    for (size_t i = 0; i < KEYMAP_NKEYS; i++) {
        if (keymap_keys[i].plain == c) {
            *shift = false;
            return keymap_keys[i].code;
        }
        if (keymap_keys[i].shifted == c) {
            *shift = true;
            return keymap_keys[i].code;
        }
    }
    return 0;
}

const char *keymap_name(uint16_t code)
{
    for (size_t i = 0; i < KEYMAP_NKEYS; i++)
        if (keymap_keys[i].code == code)
            return keymap_keys[i].name;
    return NULL;
}

bool keymap_is_modifier(uint16_t code)
{
    switch (code) {
    case 0x12: case 0x59: case 0x14: case E(0x14): case 0x11: case E(0x11): case E(0x1F):
    case E(0x27):
        return true;
    default:
        return false;
    }
}
