/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local control channels of EAL (docs/security.md): the telemetry
 * socket (which can fail over and change bypass rules) and the
 * multi-process socket (dpdk-dumpcap sees every frame) live in the EAL
 * runtime directory. They are owner-only whatever the umask: the directory
 * 0700, its sockets 0600.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>

#include "colo_log.h"
#include "ctl.h"

/** Narrow the EAL runtime directory and its sockets to the owner; after rte_eal_init(). */
void
colo_trust_runtime_dir(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	struct dirent *e;
	struct stat sb;
	DIR *d;

	if (dir == NULL || dir[0] == '\0')
		return;
	d = opendir(dir);
	if (d == NULL || fstat(dirfd(d), &sb) != 0) {
		COLO_LOG(WARNING, app, "cannot check %s: %s", dir, strerror(errno));
		if (d != NULL)
			closedir(d);
		return;
	}
	if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0 && fchmod(dirfd(d), S_IRWXU) != 0)
		COLO_LOG(WARNING, app, "%s is mode %03o and cannot be made 0700: %s", dir,
				(unsigned int)(sb.st_mode & 0777), strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
				!S_ISSOCK(sb.st_mode) || (sb.st_mode & (S_IRWXG | S_IRWXO)) == 0)
			continue;
		if (fchmodat(dirfd(d), e->d_name, S_IRUSR | S_IWUSR, 0) != 0)
			COLO_LOG(WARNING, app, "cannot make %s/%s 0600: %s", dir, e->d_name,
					strerror(errno));
	}
	closedir(d);
}
