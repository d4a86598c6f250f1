#pragma once
/* The console as a file, CONSOLE_PATH (fs/file.h): writes go to the serial
 * line, reads take what the UART holds and never block. Descriptors 0-2 of
 * every spawned program. */

/* Mounts CONSOLE_PATH and sends Ctrl-C from the UART to the foreground
 * program (SIGINT); kmain's subsystem list calls it. */
void console_init(void);
