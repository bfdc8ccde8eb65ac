/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef COLO_APP_CTL_EAL_INI_H
#define COLO_APP_CTL_EAL_INI_H

/**
 * @file
 * EAL options from the [eal] section of the --config INI file, so that an
 * operator (or the colo-proxy@.service unit) edits one file. Each entry
 * "name = value" becomes "--name value" ("-n value" for a one-letter name);
 * an empty value gives the bare flag ("no-pci =" is --no-pci). A name may
 * repeat (vdev). The file's options go before the command line's EAL
 * options, so that the command line wins where EAL keeps the last value
 * (--file-prefix) and adds to the file's where EAL accumulates (--vdev).
 */

/**
 * The argument vector for rte_eal_init(): @p argv with the [eal] options of
 * @p config_path (NULL or "": none) inserted after the program name.
 *
 * @return the new argc (the vector stays valid until exit, in @p eal_argv),
 *   or -1 after printing a one-line error.
 */
int colo_eal_ini_argv(int argc, char **argv, const char *config_path, char ***eal_argv);

#endif /* COLO_APP_CTL_EAL_INI_H */
