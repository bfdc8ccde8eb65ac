/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colo_file.h"

FILE *
colo_fopen_private(const char *path, const char *mode)
{
	FILE *f;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0)
		return NULL;
	/* An older file keeps its mode through O_CREAT: narrow it. */
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || (f = fdopen(fd, mode)) == NULL) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	return f;
}
