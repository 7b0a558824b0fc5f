# host/virt: vnplug-virt, the libvirt tool, included by the top-level
# Makefile.
#
#   make                        builds $(O)/bin/vnplug-virt
#   make install                vnplug-virt to $(SBINDIR), vnplug-virt.8, and
#                               libvirt's hook script to
#                               $(PREFIX)/share/vpfring/libvirt-hook
#   make install-libvirt-hook   the hook script as
#                               $(LIBVIRT_HOOKDIR)/vnplug, i.e.
#                               /etc/libvirt/hooks/qemu.d/vnplug (not part
#                               of install: it changes libvirt's behaviour)
#
# VNPLUG_EMULATOR is attach's default <emulator>: where
# host/qemu-vnplug/build.sh keeps the patched QEMU.

VIRT_SRC        := $(wildcard host/virt/*.c)
VIRT_OBJ        := $(patsubst %.c,$(O)/%.o,$(VIRT_SRC))
# vnplugd's configuration parser: what vnplug-virt writes, it has read.
VIRT_CONF_OBJ   := $(O)/host/backend/conf.o $(O)/host/backend/log.o
VIRT_XML_CFLAGS := $(shell $(PKG_CONFIG) --cflags libxml-2.0)
VIRT_XML_LIBS   := $(shell $(PKG_CONFIG) --libs libxml-2.0 2>/dev/null || echo -lxml2)
VNPLUG_EMULATOR ?= /var/cache/vpfring/qemu/current/qemu-system-x86_64-vnplug
SBINDIR         ?= $(PREFIX)/sbin
LIBVIRT_HOOKDIR ?= /etc/libvirt/hooks/qemu.d
VIRT_SHAREDIR   ?= $(PREFIX)/share/vpfring

.PHONY: vnplug-virt install-vnplug-virt uninstall-vnplug-virt \
	install-libvirt-hook uninstall-libvirt-hook
all: vnplug-virt
vnplug-virt: $(O)/bin/vnplug-virt
install: install-vnplug-virt
uninstall: uninstall-vnplug-virt

$(VIRT_OBJ): CPPFLAGS += -Ihost/backend $(VIRT_XML_CFLAGS) \
	-DVX_DEFAULT_EMULATOR='"$(VNPLUG_EMULATOR)"'
$(O)/host/virt/main.o: CPPFLAGS += -DVNPLUG_VIRT_VERSION='"$(VERSION)"'

$(O)/bin/vnplug-virt: $(VIRT_OBJ) $(VIRT_CONF_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(VIRT_OBJ) $(VIRT_CONF_OBJ) $(VIRT_XML_LIBS)

# The hook names the installed binary; the file in the tree names the
# default PREFIX's.
install-vnplug-virt: $(O)/bin/vnplug-virt
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(VIRT_SHAREDIR)
	install -m 0755 $(O)/bin/vnplug-virt $(DESTDIR)$(SBINDIR)/vnplug-virt
	install -m 0644 host/virt/vnplug-virt.8 $(DESTDIR)$(PREFIX)/share/man/man8/vnplug-virt.8
	sed 's|/usr/local/sbin/vnplug-virt|$(SBINDIR)/vnplug-virt|' host/virt/libvirt-hook \
		> $(DESTDIR)$(VIRT_SHAREDIR)/libvirt-hook
	chmod 0755 $(DESTDIR)$(VIRT_SHAREDIR)/libvirt-hook

uninstall-vnplug-virt:
	rm -f $(DESTDIR)$(SBINDIR)/vnplug-virt $(DESTDIR)$(PREFIX)/share/man/man8/vnplug-virt.8 \
		$(DESTDIR)$(VIRT_SHAREDIR)/libvirt-hook
	-rmdir $(DESTDIR)$(VIRT_SHAREDIR) 2>/dev/null

install-libvirt-hook:
	install -d $(DESTDIR)$(LIBVIRT_HOOKDIR)
	sed 's|/usr/local/sbin/vnplug-virt|$(SBINDIR)/vnplug-virt|' host/virt/libvirt-hook \
		> $(DESTDIR)$(LIBVIRT_HOOKDIR)/vnplug
	chmod 0755 $(DESTDIR)$(LIBVIRT_HOOKDIR)/vnplug
	@echo "installed $(DESTDIR)$(LIBVIRT_HOOKDIR)/vnplug: restart libvirtd once (it reads its hooks at start)"

uninstall-libvirt-hook:
	rm -f $(DESTDIR)$(LIBVIRT_HOOKDIR)/vnplug
