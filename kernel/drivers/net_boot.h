/* Bringing the network up in the kernel (not part of the portable stack). */
#pragma once
#include <stdbool.h>

/* Enumerates PCI, starts the e1000 if there is one, configures addresses
 * from the command line (ip=, gw=, mask=) and waits briefly for link.
 * Safe to call more than once; returns true when a NIC is up. */
bool net_init(const char *cmdline);
/* Prints driver and stack counters as KTAP diagnostics ("# net NAME VALUE"). */
void net_print_counters(void);
