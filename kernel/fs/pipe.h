#pragma once
/* Pipes: a bounded ring buffer between a read end and a write end (each a
 * struct file of kind FILE_PIPE). Reads block while it is empty and a writer
 * exists (then 0 = end of file); writes block while it is full and return
 * -EPIPE once no reader is left. */
#include <stdint.h>
#include <stdbool.h>

#define PIPE_BUF_PAGES 4
#define PIPE_BUF_SIZE (PIPE_BUF_PAGES * 4096)

struct file;
struct pipe;

/* Two new files: *rd (O_RDONLY) and *wr (O_WRONLY). -ENOMEM. */
int pipe_create(struct file **rd, struct file **wr);
/* dst/src are checked addresses of the current process. */
int64_t pipe_read(struct pipe *p, void *dst, uint64_t n);
int64_t pipe_write(struct pipe *p, const void *src, uint64_t n);
/* The last reference to one end went away. */
void pipe_close_end(struct pipe *p, bool writer);
