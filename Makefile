# live: a toolkit of small programs for live RTMP -> DASH/HLS.
# Targets: all check bench demo fuzz install uninstall clean.
# Everything is discovered by wildcard: add lib/X.c, cmd/live-X.c,
# tests/unit/test-X.c or tests/NAME.t and it is built and run.
include config.mk

LIB_SRC  := $(sort $(wildcard lib/*.c lib/rtc/*.c))
CMD_SRC  := $(sort $(wildcard cmd/live-*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c tests/unit/rtc/test-*.c))
SH_TESTS := $(sort $(wildcard tests/*.t))
MANPAGES := $(sort $(wildcard man/*.[1-9]))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
LIBLIVE  := $(BUILD)/liblive.a
PROGS    := $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# prove: -j2 on the two cores CI has; PROVE_FLAGS=-v for details.
PROVE ?= prove
PROVE_FLAGS ?= -j2
TESTS ?= $(UNITS) $(SH_TESTS)

all: $(PROGS) $(UNITS) $(BUILD)/www/.stamp

# The player pages and the players from npm, served by live-serve from
# $(BUILD)/www (found beside the program) or, installed, $(DATADIR)/www.
$(BUILD)/www/.stamp: $(wildcard www/*) scripts/www-assets $(wildcard package-lock.json) \
		$(wildcard node_modules/.live-deps)
	scripts/www-assets $(BUILD)/www
	@touch $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBLIVE): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(LIBLIVE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBLIVE) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBLIVE)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBLIVE) $(LDLIBS)

deps:
	@scripts/deps

# The environment the tests see: where the programs are, and sanitizer
# settings that make a finding fail the test.
TEST_ENV = LIVE_BIN=$(CURDIR)/$(BUILD)/bin LIVE_TOP=$(CURDIR) \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99

check: deps
	$(MAKE) all
	$(MAKE) test

# test: run the tests without installing anything (TESTS=... to pick).
test: all
	$(TEST_ENV) $(PROVE) $(PROVE_FLAGS) --exec '' $(TESTS)

bench: deps
	$(MAKE) all
	$(TEST_ENV) scripts/bench

demo: deps
	$(MAKE) all
	LIVE_BIN=$(CURDIR)/$(BUILD)/bin scripts/demo

fuzz:
	@if [ -x scripts/fuzz ]; then scripts/fuzz; else echo "no fuzz targets yet"; fi

lint-man:
	mandoc -T lint -W warning $(MANPAGES)

install: $(PROGS) $(BUILD)/www/.stamp
	scripts/www-assets --check $(BUILD)/www
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)
	for p in $(PROGS); do cp -f $$p $(DESTDIR)$(BINDIR)/; chmod 755 $(DESTDIR)$(BINDIR)/$${p##*/}; done
	for s in scripts/live-*; do [ -f "$$s" ] || continue; cp -f $$s $(DESTDIR)$(BINDIR)/; chmod 755 $(DESTDIR)$(BINDIR)/$${s##*/}; done
	for m in $(MANPAGES); do s=$${m##*.}; cp -f $$m $(DESTDIR)$(MANDIR)/man$$s/; chmod 644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	if [ -d share ]; then cp -rf share/. $(DESTDIR)$(DATADIR)/; fi
	mkdir -p $(DESTDIR)$(DATADIR)/www && cp -f $(BUILD)/www/* $(DESTDIR)$(DATADIR)/www/

uninstall:
	for p in $(PROGS) scripts/live-*; do rm -f $(DESTDIR)$(BINDIR)/$${p##*/}; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all deps check test bench demo fuzz lint-man install uninstall clean
.SECONDARY: $(LIB_OBJ) $(CMD_OBJ) $(UNIT_OBJ)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
