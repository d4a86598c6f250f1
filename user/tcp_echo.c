/* tcp_echo [PORT]: a TCP echo server in one process, an event loop over
 * poll: non-blocking sockets, every client echoed as its bytes come, any
 * number of clients at once (up to the descriptor table). A connection
 * whose first bytes are "kos:quit" ends the server, which then prints the
 * most clients it held at once and the bytes it echoed. */
#include <stdbool.h>
#include "libc.h"
#include "net.h"

#define MAX_CLIENTS 120
#define BUF 4096

struct client {
    int fd;
    char buf[BUF];
    long len, sent;     /* bytes waiting to go back */
    bool first;
};

static struct client clients[MAX_CLIENTS];

int main(int argc, char **argv)
{
    int port = 7;
    kos_signal(SIGPIPE, (void (*)(int))SIG_IGN, 0);  /* a client that went away is an -EPIPE, not the end */
    if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
        port = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            port = port * 10 + (*p - '0');
    }
    long l = tcp_serve("tcp_echo", (uint16_t)port, 128, SOCK_NONBLOCK);
    if (l < 0)
        return 1;
    static struct pollfd fds[MAX_CLIENTS + 1];
    int n = 0, most = 0;
    long echoed = 0;
    bool quit = false;
    while (!quit) {
        fds[0] = (struct pollfd){(int)l, POLLIN, 0};
        for (int i = 0; i < n; i++)
            fds[i + 1] = (struct pollfd){clients[i].fd, (short)(clients[i].len > clients[i].sent ? POLLOUT : POLLIN), 0};
        long r = poll(fds, (unsigned long)n + 1, -1);
        if (r < 0) {
            printf("tcp_echo: poll: %ld\n", r);
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            long c;
            while (n < MAX_CLIENTS && (c = accept((int)l, NULL, NULL)) >= 0) {
                fcntl((int)c, F_SETFL, O_NONBLOCK);
                clients[n] = (struct client){.fd = (int)c, .first = true};
                n++;
            }
            if (n > most)
                most = n;
        }
        for (int i = 0; i < n; i++) {
            struct client *cl = &clients[i];
            short ev = fds[i + 1].revents;
            if (!ev || fds[i + 1].fd != cl->fd)
                continue;
            bool done = false;
            if (cl->len > cl->sent) {
                long k = write(cl->fd, cl->buf + cl->sent, (size_t)(cl->len - cl->sent));
                if (k > 0) {
                    cl->sent += k;
                    echoed += k;
                    if (cl->sent == cl->len)
                        cl->len = cl->sent = 0;
                } else if (k != -EAGAIN) {
                    done = true;
                }
            } else {
                long k = read(cl->fd, cl->buf, BUF);
                if (k > 0) {
                    if (cl->first && k >= 8 && memcmp(cl->buf, "kos:quit", 8) == 0)
                        quit = true;
                    cl->first = false;
                    cl->len = k;
                    cl->sent = 0;
                } else if (k != -EAGAIN) {
                    done = true;     /* end of stream or an error */
                }
            }
            if (done) {
                close(cl->fd);
                clients[i] = clients[--n];
                i--;
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(clients[i].fd);
    close((int)l);
    printf("tcp_echo: done, at most %d clients at once, %ld bytes echoed\n", most, echoed);
    return 0;
}
