// SPDX-License-Identifier: GPL-2.0-only
/* The table of compiled-in application back-ends. */
#include <string.h>

#include "apps.h"
#include "log.h"

static const struct vnp_app *const builtin_apps[] = {
	&vnp_app_test,
	&vnp_app_vpfring,
};

#define N_BUILTIN (sizeof(builtin_apps) / sizeof(builtin_apps[0]))

int vnp_apps_register_builtin(void)
{
	const struct vnp_app *app;
	unsigned int i;
	int ret;

	for (i = 0; i < N_BUILTIN; i++) {
		app = builtin_apps[i];
		ret = vnp_app_register(app);
		if (ret) {
			vnp_err("back-end %s (id %u): %s", app->name, app->id,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void vnp_apps_unregister_builtin(void)
{
	unsigned int i;

	for (i = N_BUILTIN; i-- > 0;)
		vnp_app_unregister(builtin_apps[i]);
}
