# The guest side of vNPlug in user space, included by the top-level Makefile:
#
#   $(O)/lib/libvnplug.a    the guest vNPlug API (guest/libvpfring/vnplug_guest.h);
#                           -fPIC objects, so libpfring.so can take them in
#   $(O)/bin/vnplug-tool    end-to-end checks against vnplugd's test back-end
#   $(O)/tests/unit/test_vnplug_sock
#                           the library's socket transport (VNPLUG_SOCKET)
#                           against the real vnplugd
#
# vnplug.ko itself needs kernel headers and builds apart:
#   make vnplug-ko [KDIR=...]   (guest/vnplug-ko/Makefile, into $(O)/vnplug-ko)

GUEST_DIR      := guest/libvpfring
GUEST_LIB      := $(O)/lib/libvnplug.a
GUEST_LIB_OBJ  := $(O)/$(GUEST_DIR)/vnplug_guest.o $(O)/$(GUEST_DIR)/vnplug_sock.o
GUEST_TOOL     := $(O)/bin/vnplug-tool
GUEST_TOOL_OBJ := $(O)/$(GUEST_DIR)/vnplug_tool.o

.PHONY: guest install-guest uninstall-guest vnplug-ko

all: guest
guest: $(GUEST_LIB) $(GUEST_TOOL)

# The objects come from the top-level $(O)/%.o rule (-fPIC, -MMD).
$(GUEST_LIB): $(GUEST_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(GUEST_TOOL): $(GUEST_TOOL_OBJ) $(GUEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(GUEST_TOOL_OBJ) $(GUEST_LIB) -lpthread

# Runs vnplugd and vnplug-tool (their paths are built in) and links the
# library itself.
$(O)/tests/unit/test_vnplug_sock: tests/unit/test_vnplug_sock.c $(GUEST_LIB) $(O)/bin/vnplugd $(GUEST_TOOL)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iinclude -I$(GUEST_DIR) $(BASE_CFLAGS) -MMD -MP -Itests/unit \
		-DVNPLUGD_BIN='"$(abspath $(O))/bin/vnplugd"' \
		-DVNPLUG_TOOL_BIN='"$(abspath $(GUEST_TOOL))"' $< -o $@ \
		$(LDFLAGS) $(GUEST_LIB) $(shell $(PKG_CONFIG) --libs check) -lpthread

vnplug-ko:
	$(MAKE) -C guest/vnplug-ko KMOD_OUT=$(abspath $(O))/vnplug-ko

install: install-guest
uninstall: uninstall-guest

install-guest: $(GUEST_TOOL)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(GUEST_TOOL) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(GUEST_DIR)/vnplug-tool.8 $(DESTDIR)$(PREFIX)/share/man/man8/

uninstall-guest:
	rm -f $(DESTDIR)$(PREFIX)/bin/vnplug-tool $(DESTDIR)$(PREFIX)/share/man/man8/vnplug-tool.8
