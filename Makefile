# clockwork: the only build system. `make` builds ./clockwork; `make test`
# runs every unit and end-to-end test; `make check-asan` runs them under
# AddressSanitizer + UndefinedBehaviorSanitizer; `make bench` prints the
# performance table; `make run` builds the test ISO and boots it.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
SAN     ?=
OPT     ?= -O2

PKGS    := yaml-0.1 sqlite3 libpng zlib sdl2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS  := $(PKG_LIBS) -lpthread -lm

ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
endif

KERNEL_SRC := $(wildcard kernel/*.c)
MODEL_SRC  := $(shell find models -name '*.c' 2>/dev/null | sort)
HOST_SRC   := $(filter-out host/main.c,$(wildcard host/*.c))
LIB_SRC    := $(KERNEL_SRC) $(MODEL_SRC) $(HOST_SRC)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/registry.o
LIB        := $(BUILD)/libclockwork.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TESTLIB_SRC := $(wildcard tests/lib/*.c)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
TESTLIB    := $(BUILD)/libtestsupport.a
BENCH_SRC  := $(wildcard tests/bench/bench_*.c)
BENCH_BIN  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

ifeq ($(BUILD),build)
CLOCKWORK := clockwork
else
CLOCKWORK := $(BUILD)/clockwork
endif

.PHONY: all test test-build deps unit e2e check-asan bench fuzz install run iso clean
.SECONDARY:

# `make V=1` shows the full commands.
ifeq ($(V),)
Q := @
E := @echo
else
Q :=
E := @true
endif
all: $(CLOCKWORK)

$(CLOCKWORK): $(BUILD)/host/main.o $(LIB)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(E) "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/gen/registry.c: $(MODEL_SRC) scripts/gen-registry.sh
	@mkdir -p $(dir $@)
	sh scripts/gen-registry.sh $(MODEL_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/registry.o: $(BUILD)/gen/registry.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(TESTLIB): $(TESTLIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TESTLIB) $(LIB)
	$(E) "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(TESTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

e2e: $(CLOCKWORK)
	@CLOCKWORK=$(abspath $(CLOCKWORK)) sh tests/run-e2e.sh

# The Debian packages the build and the tests need (installed if missing).
deps:
	@sh scripts/deps.sh

# The whole suite: unit tests, then end-to-end tests; one summary line each.
# Installs missing packages first, so it works on a fresh Debian machine.
test: deps
	@$(MAKE) --no-print-directory test-build
	@sh tests/run-unit.sh $(UNIT_BIN)
	@CLOCKWORK=$(abspath $(CLOCKWORK)) sh tests/run-e2e.sh

test-build: $(CLOCKWORK) $(UNIT_BIN)

check-asan:
	$(MAKE) BUILD=build-asan SAN=1 OPT=-O1 test

bench: $(CLOCKWORK) $(BENCH_BIN)
	@CLOCKWORK=$(abspath $(CLOCKWORK)) sh tests/run-bench.sh $(BENCH_BIN)

# Coverage-guided fuzzing of the YAML loader (clang libFuzzer), bounded.
FUZZ_SECONDS ?= 60
fuzz:
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

install: $(CLOCKWORK)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/clockwork
	install -m 755 $(CLOCKWORK) $(DESTDIR)$(PREFIX)/bin/clockwork
	cp -r machines configs traces $(DESTDIR)$(PREFIX)/share/clockwork/

# Builds the Debian 13 test ISO (cached outside the tree) and boots it.
iso:
	sh scripts/make-iso.sh

run: deps
	@$(MAKE) --no-print-directory all
	sh scripts/make-iso.sh
	./$(CLOCKWORK) run configs/netinst.yaml

clean:
	rm -rf build build-* clockwork

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
