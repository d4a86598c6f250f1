/* The p2p API over p2pd's control port (p2p.h). */
#include "p2p.h"
#include "libc.h"
#include "net.h"
#include <stdbool.h>

#define ANSWER_WAIT_MS 900000 /* a job over slow peers may take minutes */

static int ctl_port = 4002;
static char self_id[P2P_ID_MAX];
static char peers[P2P_MAX_PEERS][P2P_ID_MAX];
static int npeers;

const char *p2p_last_line(const char *out)
{
    const char *last = out;
    for (const char *p = out; *p; p++)
        if (*p == '\n' && p[1])
            last = p + 1;
    return last;
}

int p2p_command_start(const char *line)
{
    long fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return (int)fd;
    struct sockaddr_in to = sockaddr_ipv4(IPV4(127, 0, 0, 1), (uint16_t)ctl_port);
    long r = connect((int)fd, &to, sizeof to);
    size_t n = strlen(line);
    if (r == 0)
        r = write_all((int)fd, line, n);
    if (r >= 0)
        r = write_all((int)fd, "\n", 1);
    if (r < 0) {
        close((int)fd);
        return (int)r;
    }
    return (int)fd;
}

/* Appends one answer line to out (the verdict line always fits: earlier ones give way). */
static void keep_line(char *out, size_t cap, size_t *used, const char *line, bool verdict)
{
    size_t n = strlen(line);
    if (*used + n + 2 > cap) {
        if (!verdict)
            return;
        *used = 0;
        if (n + 2 > cap)
            n = cap - 2;
    }
    memcpy(out + *used, line, n);
    *used += n;
    out[(*used)++] = '\n';
    out[*used] = 0;
}

int p2p_command_finish(int handle, char *out, size_t cap)
{
    static char line[4096];
    size_t have = 0, used = 0;
    out[0] = 0;
    int ret = -EIO;
    for (;;) {
        char c;
        long k = recv(handle, &c, 1, 0, ANSWER_WAIT_MS);
        if (k <= 0) {
            ret = k == 0 ? -ECONNRESET : (int)k;
            break;
        }
        if (c != '\n') {
            if (have < sizeof line - 1)
                line[have++] = c;
            continue;
        }
        line[have] = 0;
        have = 0;
        bool ok = strncmp(line, "ok", 2) == 0, error = strncmp(line, "error", 5) == 0;
        keep_line(out, cap, &used, line, ok || error);
        if (ok || error) {
            ret = ok ? 0 : 1;
            break;
        }
    }
    close(handle);
    if (used && out[used - 1] == '\n')
        out[used - 1] = 0;
    return ret;
}

int p2p_command(const char *line, char *out, size_t cap)
{
    int h = p2p_command_start(line);
    return h < 0 ? h : p2p_command_finish(h, out, cap);
}

int p2p_init(int port, unsigned wait_ms)
{
    ctl_port = port;
    char out[512];
    int r = -ECONNREFUSED;
    for (unsigned waited = 0; waited <= wait_ms; waited += 200) {
        r = p2p_command("id", out, sizeof out);
        if (r >= 0)
            break;
        sleep_ms(200);
    }
    if (r != 0)
        return r < 0 ? r : -EIO;
    /* "id PEERID" is the first line. */
    if (strncmp(out, "id ", 3) != 0)
        return -EIO;
    size_t i = 0;
    for (const char *p = out + 3; *p && *p != '\n' && i < P2P_ID_MAX - 1; p++)
        self_id[i++] = *p;
    self_id[i] = 0;
    return 0;
}

const char *p2p_self(void) { return self_id; }

int p2p_discover(void)
{
    static char out[8192];
    int r = p2p_command("peers", out, sizeof out);
    if (r != 0)
        return r < 0 ? r : -EIO;
    npeers = 0;
    /* "peer PEERID MULTIADDR in|out agent=..." per connection; a peer connected twice counts once. */
    for (const char *p = out; *p && npeers < P2P_MAX_PEERS;) {
        if (strncmp(p, "peer ", 5) == 0) {
            char id[P2P_ID_MAX];
            size_t i = 0;
            for (const char *q = p + 5; *q && *q != ' ' && *q != '\n' && i < P2P_ID_MAX - 1; q++)
                id[i++] = *q;
            id[i] = 0;
            bool seen = false;
            for (int k = 0; k < npeers; k++)
                seen |= strcmp(peers[k], id) == 0;
            if (!seen)
                memcpy(peers[npeers++], id, i + 1);
        }
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    return npeers;
}

const char *p2p_get_peer(int i) { return i >= 0 && i < npeers ? peers[i] : NULL; }

int p2p_dial(const char *maddr, char *id_out, size_t cap)
{
    char line[256], out[512];
    snprintf(line, sizeof line, "dial %s", maddr);
    int r = p2p_command(line, out, sizeof out);
    const char *last = p2p_last_line(out);
    if (r == 0 && id_out && cap) {
        /* "ok connected PEERID agent=..." */
        const char *p = strncmp(last, "ok connected ", 13) == 0 ? last + 13 : "";
        size_t i = 0;
        while (p[i] && p[i] != ' ' && i < cap - 1) {
            id_out[i] = p[i];
            i++;
        }
        id_out[i] = 0;
    } else if (r == 1 && id_out && cap)
        snprintf(id_out, cap, "%s", last);
    return r;
}

int p2p_call(const char *peer, const char *method_and_args, char *out, size_t cap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "call %s %s", peer, method_and_args);
    if (n < 0 || (size_t)n >= sizeof line)
        return -E2BIG;
    int r = p2p_command(line, out, cap);
    if (r < 0)
        return r;
    /* "ok RESULT" / "error WHY": out keeps only the part after the verdict word. */
    const char *last = p2p_last_line(out);
    const char *text = r == 0 ? (last[2] == ' ' ? last + 3 : last + 2) : (last[5] == ' ' ? last + 6 : last + 5);
    memmove(out, text, strlen(text) + 1);
    return r;
}
