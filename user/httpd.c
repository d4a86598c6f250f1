/* httpd [PORT]: an HTTP/1.1 static file server over TCP. GET and HEAD of
 * any file the kernel can open (the initrd, ramfs), Content-Length,
 * keep-alive (unless the client says "Connection: close" or speaks
 * HTTP/1.0), 404 for a missing path, 400/405/501 for what it does not take.
 * At start it writes test files into ramfs: /www/0, /www/1, /www/1m and
 * /www/16m hold 0, 1, 1 MiB and 16 MiB of the pattern httpd_byte(i) (the
 * host peer, src/netlab/tcp.ts, checks the SHA-256 of what it fetched).
 * GET /quit answers and ends the server, which prints /proc/net/tcp. */
#include <stdbool.h>
#include "libc.h"
#include "net.h"

#define REQ_MAX 4096

static const char *strstr_n(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(h + i, needle, k) == 0)
            return h + i;
    return NULL;
}

static int to_int(const char *s, int dflt)
{
    int v = 0;
    if (!*s)
        return dflt;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return dflt;
        v = v * 10 + (*s - '0');
    }
    return v;
}

static uint8_t httpd_byte(uint64_t i) { return (uint8_t)((i * 131 + (i >> 9) + 7) & 0xff); }

static int make_file(const char *path, long size)
{
    long fd = open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0)
        return (int)fd;
    static uint8_t chunk[16384];
    for (long off = 0; off < size;) {
        long n = size - off < (long)sizeof chunk ? size - off : (long)sizeof chunk;
        for (long i = 0; i < n; i++)
            chunk[i] = httpd_byte((uint64_t)(off + i));
        if (write((int)fd, chunk, (size_t)n) != n) {
            close((int)fd);
            return -1;
        }
        off += n;
    }
    close((int)fd);
    return 0;
}

static int reply_head(int fd, int code, const char *reason, long length, bool keep)
{
    char h[256];
    int n = snprintf(h, sizeof h,
                     "HTTP/1.1 %d %s\r\nServer: kos-httpd\r\nContent-Length: %ld\r\nContent-Type: %s\r\n"
                     "Connection: %s\r\n\r\n",
                     code, reason, length, code == 200 ? "application/octet-stream" : "text/plain",
                     keep ? "keep-alive" : "close");
    return write_all(fd, h, (size_t)n) == n ? 0 : -1;
}

static int reply_text(int fd, int code, const char *reason, const char *body, bool head, bool keep)
{
    long len = (long)strlen(body);
    if (reply_head(fd, code, reason, len, keep) < 0)
        return -1;
    return head || write_all(fd, body, (size_t)len) == len ? 0 : -1;
}

static bool header_says(const char *req, const char *name, const char *value)
{
    /* Case-insensitive enough for curl: the header name as curl writes it. */
    const char *p = req;
    size_t nl = strlen(name), vl = strlen(value);
    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            return strncmp(v, value, vl) == 0;
        }
    }
    return false;
}

/* One request on fd (text in req, NUL-terminated). Returns 1 to keep the
 * connection, 0 to close it, 2 to stop the server. */
static int serve(int fd, char *req)
{
    char *sp1 = strchr(req, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp2 - sp1 - 1 >= 256) {
        reply_text(fd, 400, "Bad Request", "bad request\n", false, false);
        return 0;
    }
    *sp1 = 0;
    *sp2 = 0;
    const char *method = req, *path = sp1 + 1, *version = sp2 + 1;
    bool keep = strncmp(version, "HTTP/1.1", 8) == 0 && !header_says(sp2 + 1, "Connection", "close");
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        reply_text(fd, strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ? 405 : 501,
                   strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ? "Method Not Allowed" : "Not Implemented",
                   "not supported\n", false, false);
        return 0;
    }
    if (strcmp(path, "/quit") == 0) {
        reply_text(fd, 200, "OK", "bye\n", head, false);
        return 2;
    }
    struct kos_stat st;
    long fd2 = path[0] == '/' && stat(path, &st) == 0 && (st.mode & KOS_S_IFREG) ? open(path, O_RDONLY) : -ENOENT;
    if (fd2 < 0)
        return reply_text(fd, 404, "Not Found", "not found\n", head, keep) < 0 ? 0 : keep;
    if (reply_head(fd, 200, "OK", (long)st.size, keep) < 0) {
        close((int)fd2);
        return 0;
    }
    int rc = keep;
    if (!head) {
        static char chunk[16384];
        long n;
        while ((n = read((int)fd2, chunk, sizeof chunk)) > 0)
            if (write_all(fd, chunk, (size_t)n) != n) {
                rc = 0;
                break;
            }
    }
    close((int)fd2);
    return rc;
}

/* Requests of one connection until it closes (or asks the server to stop). */
static int connection(int fd)
{
    static char req[REQ_MAX + 1];
    size_t have = 0;
    for (;;) {
        const char *end = NULL;
        while (!(end = have >= 4 ? strstr_n(req, have, "\r\n\r\n") : NULL)) {
            if (have == REQ_MAX) {
                reply_text(fd, 400, "Bad Request", "request too long\n", false, false);
                return 0;
            }
            long n = read(fd, req + have, REQ_MAX - have);
            if (n <= 0)
                return 0;
            have += (size_t)n;
            req[have] = 0;
        }
        size_t used = (size_t)(end - req) + 4;
        char save = req[used - 1];
        req[used - 1] = 0;
        int rc = serve(fd, req);
        req[used - 1] = save;
        memmove(req, req + used, have - used);     /* a pipelined next request */
        have -= used;
        req[have] = 0;
        if (rc != 1)
            return rc;
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? to_int(argv[1], 80) : 80;
    kos_signal(SIGPIPE, (void (*)(int))SIG_IGN, 0);  /* a client that went away is an -EPIPE, not the end */
    static const struct { const char *path; long size; } files[] = {
        {"/www/0", 0}, {"/www/1", 1}, {"/www/1m", 1 << 20}, {"/www/16m", 16 << 20},
    };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        if (make_file(files[i].path, files[i].size) < 0) {
            printf("httpd: cannot create %s\n", files[i].path);
            return 1;
        }
    long l = tcp_serve("httpd", (uint16_t)port, 16, 0);
    if (l < 0)
        return 1;
    long served = 0;
    for (;;) {
        long c = accept((int)l, NULL, NULL);
        if (c < 0) {
            printf("httpd: accept: %ld\n", c);
            return 1;
        }
        served++;
        int rc = connection((int)c);
        close((int)c);
        if (rc == 2)
            break;
    }
    close((int)l);
    printf("httpd: served %ld connections\n", served);
    print_tcp_counters("httpd");
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i].path);
    return 0;
}
