/* test_window_sdl.c: the SDL window (host/window_sdl.c) on SDL's "dummy"
 * video driver, which needs no display server: SDL events pushed into the
 * queue stand in for a person at the keyboard and mouse; the display,
 * keyboard and mouse are test doubles. Checks key make/break codes, hot
 * keys (not sent to the guest), dropped host auto-repeat, release of held
 * keys on focus loss, mouse grab and motion, quit and screenshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>
#include <cmocka.h>

#include "host/window_sdl.h"
#include "kernel/sim.h"

#define W 64
#define H 40

struct rig {
    struct sim *sim;
    uint32_t pixels[W * H];
    struct display_surface surf;
    struct display_iface display;
    int updates;
    struct {
        uint16_t code;
        bool down;
    } keys[64];
    int nkeys;
    struct keyboard_iface keyboard;
    int dx, dy, dz, motions;
    unsigned buttons;
    struct mouse_iface mouse;
    struct window *w;
    char dir[64], old_cwd[512];
};

static const struct display_surface *rig_update(void *opaque)
{
    struct rig *r = opaque;
    r->updates++;
    return &r->surf;
}

static void rig_key(void *opaque, uint16_t code, bool down)
{
    struct rig *r = opaque;
    assert_true(r->nkeys < 64);
    r->keys[r->nkeys].code = code;
    r->keys[r->nkeys].down = down;
    r->nkeys++;
}

static void rig_motion(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    struct rig *r = opaque;
    r->dx += dx;
    r->dy += dy;
    r->dz += dz;
    r->buttons = buttons;
    r->motions++;
}

static int rig_setup(void **state)
{
    setenv("SDL_VIDEODRIVER", "dummy", 1);
    struct rig *r = calloc(1, sizeof *r);
    r->sim = sim_create();
    for (int i = 0; i < W * H; i++)
        r->pixels[i] = 0x336699;
    r->surf = (struct display_surface){r->pixels, W, H, W, 1};
    r->display = (struct display_iface){.update = rig_update, .opaque = r};
    r->keyboard = (struct keyboard_iface){.key = rig_key, .opaque = r};
    r->mouse = (struct mouse_iface){.motion = rig_motion, .opaque = r};
    struct window_io io = {&r->display, &r->keyboard, &r->mouse};
    struct cw_error err = {{0}};
    r->w = window_open(&io, "test", NULL, &err);
    if (!r->w)
        fail_msg("%s", err.msg);
    strcpy(r->dir, "/tmp/test_window_XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    assert_non_null(getcwd(r->old_cwd, sizeof r->old_cwd));
    assert_int_equal(chdir(r->dir), 0);
    *state = r;
    return 0;
}

static int rig_teardown(void **state)
{
    struct rig *r = *state;
    window_close(r->w);
    sim_destroy(r->sim);
    assert_int_equal(chdir(r->old_cwd), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", r->dir);
    assert_int_equal(system(cmd), 0);
    free(r);
    return 0;
}

static void push_key(SDL_Scancode sc, bool down, uint16_t mod, bool repeat)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    e.key.repeat = repeat;
    e.key.keysym.scancode = sc;
    e.key.keysym.mod = mod;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

static void push_window_event(Uint8 event)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_WINDOWEVENT;
    e.window.event = event;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

static void push_button(Uint8 button, bool down)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
    e.button.button = button;
    e.button.state = down ? SDL_PRESSED : SDL_RELEASED;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

static void push_motion(int dx, int dy)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEMOTION;
    e.motion.xrel = dx;
    e.motion.yrel = dy;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

static void push_wheel(int y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEWHEEL;
    e.wheel.y = y;
    e.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

static void keys_reach_the_guest_as_set2_make_and_break(void **state)
{
    struct rig *r = *state;
    push_key(SDL_SCANCODE_A, true, 0, false);
    push_key(SDL_SCANCODE_A, true, 0, true); /* host auto-repeat: dropped */
    push_key(SDL_SCANCODE_A, false, 0, false);
    push_key(SDL_SCANCODE_DOWN, true, 0, false);
    push_key(SDL_SCANCODE_DOWN, false, 0, false);
    push_key(SDL_SCANCODE_F13, true, 0, false); /* no PC key: nothing */
    window_poll(r->w, r->sim);
    assert_int_equal(r->nkeys, 4);
    assert_int_equal(r->keys[0].code, 0x1C);
    assert_true(r->keys[0].down);
    assert_int_equal(r->keys[1].code, 0x1C);
    assert_false(r->keys[1].down);
    assert_int_equal(r->keys[2].code, KEY_EXT | 0x72);
    assert_true(r->keys[2].down);
    assert_int_equal(r->keys[3].code, KEY_EXT | 0x72);
    assert_false(r->keys[3].down);
    assert_false(window_closed(r->w));
}

static void hot_keys_do_not_reach_the_guest(void **state)
{
    struct rig *r = *state;
    const uint16_t ca = KMOD_LCTRL | KMOD_LALT;
    /* Ctrl+Alt+S: a screenshot in the current directory. The modifiers
     * themselves go to the guest; the letter does not. */
    push_key(SDL_SCANCODE_LCTRL, true, KMOD_LCTRL, false);
    push_key(SDL_SCANCODE_LALT, true, ca, false);
    push_key(SDL_SCANCODE_S, true, ca, false);
    push_key(SDL_SCANCODE_S, false, ca, false);
    /* Ctrl+Alt+P twice: paused and resumed within one poll. */
    push_key(SDL_SCANCODE_P, true, ca, false);
    push_key(SDL_SCANCODE_P, false, ca, false);
    push_key(SDL_SCANCODE_P, true, ca, false);
    push_key(SDL_SCANCODE_P, false, ca, false);
    push_key(SDL_SCANCODE_LALT, false, KMOD_LCTRL, false);
    push_key(SDL_SCANCODE_LCTRL, false, 0, false);
    window_poll(r->w, r->sim);
    assert_int_equal(r->nkeys, 4);
    assert_int_equal(r->keys[0].code, 0x14);
    assert_int_equal(r->keys[1].code, 0x11);
    assert_int_equal(r->keys[2].code, 0x11);
    assert_false(r->keys[2].down);
    assert_int_equal(r->keys[3].code, 0x14);
    /* Exactly one screenshot file, of the guest's resolution. */
    int found = 0;
    FILE *ls = popen("ls clockwork-*.png 2>/dev/null", "r");
    char name[256];
    while (fgets(name, sizeof name, ls))
        found++;
    pclose(ls);
    assert_int_equal(found, 1);
    assert_false(window_closed(r->w));

    push_key(SDL_SCANCODE_Q, true, ca, false);
    window_poll(r->w, r->sim);
    assert_true(window_closed(r->w));
    assert_int_equal(r->nkeys, 4);
}

static void closing_the_window_ends_the_run(void **state)
{
    struct rig *r = *state;
    push_window_event(SDL_WINDOWEVENT_CLOSE);
    window_poll(r->w, r->sim);
    assert_true(window_closed(r->w));
}

static void held_keys_are_released_on_focus_loss(void **state)
{
    struct rig *r = *state;
    push_key(SDL_SCANCODE_LSHIFT, true, KMOD_LSHIFT, false);
    push_key(SDL_SCANCODE_RALT, true, KMOD_LSHIFT | KMOD_RALT, false);
    push_window_event(SDL_WINDOWEVENT_FOCUS_LOST);
    push_key(SDL_SCANCODE_LSHIFT, false, 0, false); /* already released */
    window_poll(r->w, r->sim);
    assert_int_equal(r->nkeys, 4);
    assert_true(r->keys[0].down && r->keys[1].down);
    assert_false(r->keys[2].down || r->keys[3].down);
    /* Both released, whatever the order. */
    assert_int_equal(r->keys[2].code + r->keys[3].code, 0x12 + (KEY_EXT | 0x11));
}

static void mouse_goes_to_the_guest_only_while_grabbed(void **state)
{
    struct rig *r = *state;
    push_motion(5, 5);                       /* not grabbed: ignored */
    push_button(SDL_BUTTON_LEFT, true);      /* grabs, not sent */
    window_poll(r->w, r->sim);
    assert_int_equal(r->motions, 0);
    /* (Entering relative mode flushes queued motion, so push after it.) */
    push_button(SDL_BUTTON_LEFT, false);
    push_motion(7, -3);
    push_button(SDL_BUTTON_RIGHT, true);
    push_wheel(2);                           /* away from the user */
    push_button(SDL_BUTTON_RIGHT, false);
    window_poll(r->w, r->sim);
    assert_int_equal(r->dx, 7);
    assert_int_equal(r->dy, -3);
    assert_int_equal(r->dz, -2);
    assert_int_equal(r->buttons, 0);
    assert_int_equal(r->motions, 5); /* left release, motion, right down, wheel, right up */

    /* Ctrl+Alt+G releases the grab: motion stops reaching the guest. */
    push_key(SDL_SCANCODE_G, true, KMOD_LCTRL | KMOD_LALT, false);
    push_motion(100, 100);
    window_poll(r->w, r->sim);
    assert_int_equal(r->dx, 7);
}

static void frames_are_fetched_at_most_at_the_refresh_cap(void **state)
{
    struct rig *r = *state;
    /* The first frame resizes the window; let its events settle. */
    for (int i = 0; i < 3; i++) {
        window_poll(r->w, r->sim);
        SDL_Delay(20);
    }
    window_poll(r->w, r->sim);
    int first = r->updates;
    assert_true(first >= 1);
    /* Polls right after one another: within 1/60 s no new fetch (checked
     * only when the host really ran them within 10 ms). */
    Uint64 t0 = SDL_GetTicks64();
    window_poll(r->w, r->sim);
    window_poll(r->w, r->sim);
    if (SDL_GetTicks64() - t0 < 10)
        assert_int_equal(r->updates, first);
    first = r->updates;
    SDL_Delay(20);
    window_poll(r->w, r->sim);
    assert_int_equal(r->updates, first + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keys_reach_the_guest_as_set2_make_and_break, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(hot_keys_do_not_reach_the_guest, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(closing_the_window_ends_the_run, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(held_keys_are_released_on_focus_loss, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(mouse_goes_to_the_guest_only_while_grabbed, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(frames_are_fetched_at_most_at_the_refresh_cap,
                                        rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
