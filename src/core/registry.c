/* The provider registry: descriptors collected by the linker in the
 * "weft_provs" section (see WEFT_PROVIDER in prov.h). */
#include <string.h>

#include "core/prov.h"

/* The linker defines these for a section whose name is a C identifier.
 * Weak, so a library with no provider still links. */
extern const struct weft_prov_desc *const __start_weft_provs[]
	__attribute__((weak, visibility("hidden")));
extern const struct weft_prov_desc *const __stop_weft_provs[]
	__attribute__((weak, visibility("hidden")));

size_t weft_prov_count(void)
{
	if (!__start_weft_provs)
		return 0;
	return (size_t)(__stop_weft_provs - __start_weft_provs);
}

const struct weft_prov_desc *weft_prov_at(size_t i)
{
	return i < weft_prov_count() ? __start_weft_provs[i] : NULL;
}

const struct weft_prov_desc *weft_prov_by_name(const char *name)
{
	for (size_t i = 0; i < weft_prov_count(); i++) {
		const struct weft_prov_desc *d = __start_weft_provs[i];
		if (name && strcasecmp(d->prov->name, name) == 0)
			return d;
	}
	return NULL;
}

struct fi_provider weft_core_prov = {
	.version = WEFT_PROV_VERSION,
	.fi_version = WEFT_FI_VERSION,
	.name = "core",
};
