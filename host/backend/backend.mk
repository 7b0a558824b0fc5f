# host/backend: vnplugd, included by the top-level Makefile.
#
#   make                  builds $(O)/bin/vnplugd
#   make check            runs tests/unit/test_vnplugd_{conf,proto} and
#                         tests/unit/test_vpfring_proto too
#   make install          vnplugd to $(PREFIX)/sbin, its man page, example
#                         configuration and systemd unit

VNPLUGD_SRC  := $(wildcard host/backend/*.c)
VNPLUGD_OBJ  := $(patsubst %.c,$(O)/%.o,$(VNPLUGD_SRC))
# The parser alone, for its unit suite.
VNPLUGD_CONF_OBJ := $(O)/host/backend/conf.o $(O)/host/backend/log.o
VNPLUGD_CPPFLAGS := -Iinclude -Ihost/backend
SBINDIR      ?= $(PREFIX)/sbin
UNITDIR      ?= $(PREFIX)/lib/systemd/system
VNPLUGD_DOCDIR ?= $(PREFIX)/share/doc/vpfring

.PHONY: vnplugd install-vnplugd uninstall-vnplugd
all: vnplugd
vnplugd: $(O)/bin/vnplugd
install: install-vnplugd
uninstall: uninstall-vnplugd

$(VNPLUGD_OBJ): CPPFLAGS += $(VNPLUGD_CPPFLAGS)
$(O)/host/backend/main.o: CPPFLAGS += -DVNPLUGD_VERSION='"$(VERSION)"'

# The vPF_RING back-end (app_vpfring.c) opens host rings with the static
# libpfring, whose internals (pfring_priv.h) it uses.
$(O)/bin/vnplugd: $(VNPLUGD_OBJ) $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(VNPLUGD_OBJ) $(STLIB) $(LIBS) -lm

# These suites link host/backend objects, or run the daemon, rather
# than the library the generic unit rule links.
$(O)/tests/unit/test_vnplugd_conf: tests/unit/test_vnplugd_conf.c $(VNPLUGD_CONF_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(VNPLUGD_CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -Itests/unit $< -o $@ \
		$(LDFLAGS) $(VNPLUGD_CONF_OBJ) $(shell $(PKG_CONFIG) --libs check)

$(O)/tests/unit/test_vnplugd_proto: tests/unit/test_vnplugd_proto.c $(O)/bin/vnplugd
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(VNPLUGD_CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -Itests/unit $< -o $@ \
		$(LDFLAGS) $(shell $(PKG_CONFIG) --libs check)

$(O)/tests/unit/test_vpfring_proto: tests/unit/test_vpfring_proto.c $(O)/bin/vnplugd
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(VNPLUGD_CPPFLAGS) $(BASE_CFLAGS) -MMD -MP -Itests/unit $< -o $@ \
		$(LDFLAGS) $(shell $(PKG_CONFIG) --libs check)

# The unit names the installed binary; the file in the tree names the
# default PREFIX's.
install-vnplugd: $(O)/bin/vnplugd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(VNPLUGD_DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(O)/bin/vnplugd $(DESTDIR)$(SBINDIR)/vnplugd
	install -m 0644 host/backend/vnplugd.8 $(DESTDIR)$(PREFIX)/share/man/man8/vnplugd.8
	install -m 0644 host/backend/vnplugd.conf.example $(DESTDIR)$(VNPLUGD_DOCDIR)/vnplugd.conf.example
	sed 's|/usr/local/sbin/vnplugd|$(SBINDIR)/vnplugd|' host/backend/vnplugd.service \
		> $(DESTDIR)$(UNITDIR)/vnplugd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vnplugd.service

uninstall-vnplugd:
	rm -f $(DESTDIR)$(SBINDIR)/vnplugd $(DESTDIR)$(PREFIX)/share/man/man8/vnplugd.8 \
		$(DESTDIR)$(VNPLUGD_DOCDIR)/vnplugd.conf.example $(DESTDIR)$(UNITDIR)/vnplugd.service
	-rmdir $(DESTDIR)$(VNPLUGD_DOCDIR) 2>/dev/null
