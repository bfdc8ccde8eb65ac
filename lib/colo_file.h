/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Files colo-proxy writes hold client payloads (divergence captures) or
 * describe the traffic (stats): owner-only, whatever the umask
 * (docs/security.md).
 */
#ifndef COLO_FILE_H
#define COLO_FILE_H

#include <stdio.h>

/**
 * fopen(@p path, "w") or "wb" (@p mode), but the file is mode 0600 even
 * if it existed with another mode.
 *
 * @return the stream, or NULL with errno set.
 */
FILE *colo_fopen_private(const char *path, const char *mode);

#endif /* COLO_FILE_H */
