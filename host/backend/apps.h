/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The application back-ends compiled into vnplugd. A new back-end defines
 * a struct vnp_app, is declared here and is added to apps.c's table.
 */
#ifndef VNPLUGD_APPS_H
#define VNPLUGD_APPS_H

#include "vnplug_host.h"

extern const struct vnp_app vnp_app_test;	/* app_test.c */
extern const struct vnp_app vnp_app_vpfring;	/* app_vpfring.c */

/* Register every compiled-in back-end; 0 or the first error. */
int vnp_apps_register_builtin(void);
void vnp_apps_unregister_builtin(void);

#endif /* VNPLUGD_APPS_H */
