#pragma once
/* /proc/net/tcp (format in tcp_proc.c): the text, at most n-1 bytes and a NUL; its length. */
#include <stddef.h>
#define PROCINFO_NET_TCP "/proc/net/tcp"   /* mounted by net/platform.c */
size_t tcp_proc_text(char *buf, size_t n);
