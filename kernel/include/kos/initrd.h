/* The initrd contract between `kos build` and the kernel (kernel/fs/tarfs.c).
 * The index is sized from the archive; this bound only keeps a hostile
 * archive from asking for an absurd index. `kos build` refuses an initrd
 * with more entries (src/build/initrd.ts reads the number from here). */
#pragma once

#define KOS_INITRD_MAX_ENTRIES 65536
/* Longest path a ustar header can hold (prefix 155 + '/' + name 100, less the NUL). */
#define KOS_INITRD_NAME_MAX 255
