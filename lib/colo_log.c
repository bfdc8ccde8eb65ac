/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registration of the colo log type and its colo.<module> log types. The
 * default log type name "colo" comes from -DRTE_LOG_DEFAULT_LOGTYPE in
 * lib/meson.build; colo_log_inherit() lets it stand for all of them.
 */
#include "colo_log.h"

RTE_LOG_REGISTER_DEFAULT(colo_logtype, INFO);

/* clang-format off */
#define COLO_LOG_MODULES(X) \
	X(pkt, NOTICE)      \
	X(conn, NOTICE)     \
	X(compare, NOTICE)  \
	X(ckpt, INFO)       \
	X(app, INFO)        \
	X(bypass, INFO)     \
	X(rewriter, NOTICE)
/* clang-format on */

#define REGISTER(module, level) RTE_LOG_REGISTER_SUFFIX(colo_logtype_##module, module, level);
COLO_LOG_MODULES(REGISTER)
#undef REGISTER

/* Each module's log type with the level it was registered at. */
static const struct {
	const int *type;
	uint32_t level;
} modules[] = {
#define ENTRY(module, level) { &colo_logtype_##module, RTE_LOG_##level },
	COLO_LOG_MODULES(ENTRY)
#undef ENTRY
};

/*
 * EAL matches --log-level=colo:debug against log type names, so it would
 * reach "colo" alone: hand its level on to every module still at its
 * default, which lets colo.<module>:LEVEL keep a module apart.
 */
void
colo_log_inherit(void)
{
	uint32_t level = (uint32_t)rte_log_get_level(colo_logtype);
	unsigned int i;

	if (level == RTE_LOG_INFO)
		return;
	for (i = 0; i < RTE_DIM(modules); i++)
		if ((uint32_t)rte_log_get_level(*modules[i].type) == modules[i].level)
			rte_log_set_level(*modules[i].type, level);
	rte_log(RTE_LOG_DEBUG, colo_logtype, "colo: level %u applied to the colo.* log types\n",
			level);
}
