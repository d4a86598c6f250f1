#pragma once
/* Pipes: a bounded ring buffer between a read end and a write end (each a
 * struct file with the pipe's file operations). Reads block while it is empty and a writer
 * exists (then 0 = end of file); writes block while it is full and return
 * -EPIPE once no reader is left. */
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86_64/memlayout.h"

#define PIPE_BUF_PAGES 4
#define PIPE_BUF_SIZE (PIPE_BUF_PAGES * PAGE_SIZE)

struct file;
struct pipe;

/* Two new files: *rd (O_RDONLY) and *wr (O_WRONLY). -ENOMEM. */
int pipe_create(struct file **rd, struct file **wr);
