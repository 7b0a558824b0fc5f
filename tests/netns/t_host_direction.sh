#!/bin/bash
# t_direction.sh again, each probe capturing "host:IF" through vPF_RING (vnplugd's
# back-end and libvnplug's socket transport; see VIA_HOST in lib.sh): the
# same exact counts prove that the calls are carried out on the host.
VIA_HOST=1 exec bash "$(dirname "$0")/t_direction.sh"
