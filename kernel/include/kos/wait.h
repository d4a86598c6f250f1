/* Wait status (waitpid, wait): the POSIX layout, shared by the kernel and
 * user space. Exit code << 8 after exit(), or in the low 7 bits the number
 * of the signal that ended the process (kos/signal.h). */
#pragma once

#define WNOHANG 1               /* waitpid option: return 0 when no child has exited */

#define WSIG_KILL  9            /* SIGKILL */
#define WSIG_FAULT 11           /* SIGSEGV: a page or protection fault in user mode */

#define WSTATUS_EXITED(code) (((code) & 0xff) << 8)
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0)
#define WTERMSIG(s) ((s) & 0x7f)
