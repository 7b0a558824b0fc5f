# vPF_RING top-level build.
#
#   make                      build everything that exists (user space)
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make check                build and run the unit (Check) suites
#   make test                 run every test tier (scripts/test.sh)
#   make SAN=1                build with AddressSanitizer + UBSan
#
# Objects go to build/ (or O=dir).

VERSION    := 0.1.0
SOVERSION  := 1
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
O          ?= build

CC         ?= gcc
CLANG      ?= clang
PKG_CONFIG ?= pkg-config

WARN       := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	      -Wmissing-prototypes -Wformat=2
CFLAGS     ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
CC         := clang
endif
CPPFLAGS   += -D_GNU_SOURCE -Icommon -Ilibpfring
BASE_CFLAGS = $(WARN) $(CFLAGS) -std=gnu11 -fvisibility=hidden
LIBS       := -lpcap $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lpthread

COMMON_SRC := $(wildcard common/*.c)
# libpfring takes in the guest's "host:" module and the guest vNPlug API
# (guest/libvpfring) it runs on, so one binary works on hosts and guests.
LIB_SRC    := $(wildcard libpfring/*.c) guest/libvpfring/mod_host.c \
	      guest/libvpfring/vpfring_wire.c guest/libvpfring/vnplug_guest.c \
	      $(wildcard guest/libvpfring/vnplug_sock.c)
LIB_OBJ    := $(patsubst %.c,$(O)/%.o,$(COMMON_SRC) $(LIB_SRC)) $(O)/libpfring/bpf/objs.o
BPF_SRC    := $(wildcard libpfring/bpf/*.bpf.c)
BPF_OBJ    := $(patsubst libpfring/bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(BPF_SRC))

TOOLS      := pfcount pfsend pfdump
TOOL_BIN   := $(addprefix $(O)/bin/,$(TOOLS))
TOOL_COMMON:= $(O)/libpfring/examples/pfutils.o

SONAME     := libpfring.so.$(SOVERSION)
SHLIB      := $(O)/lib/libpfring.so.$(VERSION)
STLIB      := $(O)/lib/libpfring.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRC))
TESTPROG_SRC := $(wildcard tests/netns/progs/*.c)
TESTPROG_BIN := $(patsubst tests/netns/progs/%.c,$(O)/tests/progs/%,$(TESTPROG_SRC))
VMPROG_SRC := $(wildcard tests/vm/progs/*.c)
VMPROG_BIN := $(patsubst tests/vm/progs/%.c,$(O)/tests/progs/%,$(VMPROG_SRC))
E2EPROG_SRC := $(wildcard tests/e2e/progs/*.c)
E2EPROG_BIN := $(patsubst tests/e2e/progs/%.c,$(O)/tests/progs/%,$(E2EPROG_SRC))
BENCH_SRC  := $(wildcard tests/bench/*.c)
BENCH_BIN  := $(patsubst tests/bench/%.c,$(O)/tests/bench/%,$(BENCH_SRC))

.PHONY: all lib tools tests check test install uninstall clean format fuzz
# Regenerated every time: it depends on PREFIX and LIBDIR, not on files.
.PHONY: $(O)/lib/libpfring.pc
# Keep the tools' objects: make install links them again for LIBDIR.
.SECONDARY:
all: lib tools tests

lib: $(SHLIB) $(STLIB) $(O)/lib/libpfring.pc
tools: $(TOOL_BIN)
tests: $(UNIT_BIN) $(TESTPROG_BIN) $(VMPROG_BIN) $(E2EPROG_BIN) $(BENCH_BIN)

# common/ and libpfring: position independent, for both libraries.
$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -fPIC -MMD -MP -c $< -o $@

# eBPF objects, embedded into the library by objs.S.
$(O)/bpf/%.bpf.o: libpfring/bpf/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -target bpf -Icommon -Ilibpfring -I/usr/include/$(shell $(CC) -dumpmachine) \
		-Wall -Wno-unused-function -MMD -MP -c $< -o $@

$(O)/libpfring/bpf/objs.o: libpfring/bpf/objs.S $(BPF_OBJ)
	@mkdir -p $(@D)
	$(CC) -c -Wa,-I$(O)/bpf $< -o $@

$(SHLIB): $(LIB_OBJ) libpfring/libpfring.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=libpfring/libpfring.map \
		$(LDFLAGS) -o $@ $(LIB_OBJ) $(LIBS)
	ln -sf libpfring.so.$(VERSION) $(O)/lib/$(SONAME)
	ln -sf $(SONAME) $(O)/lib/libpfring.so

$(STLIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(O)/lib/libpfring.pc: libpfring/libpfring.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Tools link the shared library and find it next door: bin/../lib.
$(O)/bin/%: $(O)/libpfring/examples/%.o $(TOOL_COMMON) $(SHLIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(TOOL_COMMON) -L$(O)/lib -lpfring -lpcap -lpthread -lm \
		-Wl,-rpath,'$$ORIGIN/../lib'

# Unit suites link the static library (they test internals too).
$(O)/tests/unit/%: tests/unit/%.c $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -fvisibility=default -Itests/unit $< -o $@ $(LDFLAGS) \
		$(STLIB) $(shell $(PKG_CONFIG) --libs check) $(LIBS) -lm

$(O)/tests/progs/%: tests/netns/progs/%.c $(SHLIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -MMD -MP $< -o $@ $(LDFLAGS) -L$(O)/lib -lpfring $(LIBS) \
		-Wl,-rpath,'$$ORIGIN/../../lib'

# Programs of the VM tests that use pf_ring.ko's socket directly.
$(O)/tests/progs/%: tests/vm/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -MMD -MP $< -o $@ $(LDFLAGS)

# Programs of the e2e guests that look at a host: ring's device too: the
# static library, whose guest vNPlug API is not exported by the shared one.
$(O)/tests/progs/%: tests/e2e/progs/%.c $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -fvisibility=default $< -o $@ $(LDFLAGS) $(STLIB) $(LIBS) -lm

$(O)/tests/bench/%: tests/bench/%.c $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -fvisibility=default $< -o $@ $(LDFLAGS) $(STLIB) $(LIBS) -lm

check: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do CK_FORK=yes $$t || fail=1; done; exit $$fail

test:
	scripts/test.sh

# libFuzzer harnesses (clang): make fuzz
fuzz:
	$(MAKE) -C tests/fuzz

install: lib tools
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libpfring.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpfring.so
	install -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(O)/lib/libpfring.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 libpfring/pfring.h $(DESTDIR)$(PREFIX)/include/
	for t in $(TOOLS); do \
		$(CC) $(LDFLAGS) -o $(DESTDIR)$(PREFIX)/bin/$$t $(O)/libpfring/examples/$$t.o $(TOOL_COMMON) \
			-L$(O)/lib -lpfring -lpcap -lpthread -Wl,-rpath,$(LIBDIR) ; done
	install -m 0644 libpfring/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 libpfring/man/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libpfring.* $(DESTDIR)$(LIBDIR)/pkgconfig/libpfring.pc \
		$(DESTDIR)$(PREFIX)/include/pfring.h
	for t in $(TOOLS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$t $(DESTDIR)$(PREFIX)/share/man/man8/$$t.8; done
	rm -f $(DESTDIR)$(PREFIX)/share/man/man3/pfring.3

format:
	clang-format -i common/*.[ch] libpfring/*.[ch] libpfring/examples/*.[ch] tests/unit/*.c

clean:
	rm -rf $(O)
	$(MAKE) -C tests/fuzz clean 2>/dev/null || true

# vnplugd (host/backend), the guest side (vnplug.ko's user space:
# guest/libvpfring) and vnplug-virt (host/virt) add their own rules.
include $(wildcard host/backend/backend.mk guest/guest.mk host/virt/virt.mk)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
