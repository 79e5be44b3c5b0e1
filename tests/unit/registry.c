#include "testlib.h"
#include "core/prov.h"

int main(void)
{
	/* The linker section is collected at all (an empty registry would
	 * make every check below pass vacuously). */
	CHECK(weft_prov_count() >= 1);
	/* Every registered provider has a name and a fabric entry point. */
	for (size_t i = 0; i < weft_prov_count(); i++) {
		const struct weft_prov_desc *d = weft_prov_at(i);
		CHECK(d && d->prov && d->prov->name && d->prov->fabric);
		CHECK(weft_prov_by_name(d->prov->name) == d);
	}
	CHECK(weft_prov_at(weft_prov_count()) == NULL);
	CHECK(weft_prov_by_name("no-such-provider") == NULL);
	return 0;
}
