#pragma once
/* The console as a file (descriptors 0-2 of every spawned program): writes
 * go to the serial line, reads take what the UART holds and never block. */
struct file;

/* A console file with access mode flags (O_RDONLY, O_WRONLY), NULL on OOM. */
struct file *console_open(int flags);
