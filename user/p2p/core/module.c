/* The module table of a node (core/module.h). */
#include <stdarg.h>
#include "core/node.h"

int node_add_module(struct node *n, const struct node_module *m)
{
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i] == m)
            return 0;
    int np = 0;
    while (m->protos && m->protos[np])
        np++;
    if (n->nmods >= NODE_MAX_MODULES || n->nprotos + np > NODE_MAX_PROTOS)
        return -1;
    /* A command or protocol another module already has would be hidden by
     * it: refuse the module, so the clash shows at start, not as a wrong answer. */
    for (const struct ctl_cmd *c = m->cmds; c && c->name; c++)
        if (node_find_cmd(n, c->name)) {
            plat_log("p2pd: module %s: command %s is taken", m->name, c->name);
            return -1;
        }
    for (int i = 0; i < np; i++)
        for (int j = 0; j < n->nprotos; j++)
            if (strcmp(n->protos[j]->id, m->protos[i]->id) == 0) {
                plat_log("p2pd: module %s: protocol %s is taken", m->name, m->protos[i]->id);
                return -1;
            }
    void *state = NULL;
    if (m->state_size && !(state = calloc(1, m->state_size)))
        return -1;
    n->mod_state[n->nmods] = state;
    n->mods[n->nmods++] = m;
    for (int i = 0; i < np; i++) {
        n->protos[n->nprotos] = m->protos[i];
        n->proto_ids[n->nprotos++] = m->protos[i]->id;
    }
    n->proto_ids[n->nprotos] = NULL;
    return 0;
}

void *stream_ctx(struct stream *s, size_t size)
{
    if (!s->ctx && !(s->ctx = calloc(1, size))) {
        buf_consume(&s->rx, buf_used(&s->rx));
        s->want_fin = true;
    }
    return s->ctx;
}

void *node_state(struct node *n, const struct node_module *m)
{
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i] == m)
            return n->mod_state[i];
    return NULL;
}

void node_reply(struct node *n, int ctl, const char *line)
{
    if (ctl >= 0 && n->reply)
        n->reply(n, ctl, line);
}

void node_replyf(struct node *n, int ctl, const char *fmt, ...)
{
    if (ctl < 0)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    node_reply(n, ctl, line);
}

const struct ctl_cmd *node_find_cmd(struct node *n, const char *name)
{
    for (int i = 0; i < n->nmods; i++)
        for (const struct ctl_cmd *c = n->mods[i]->cmds; c && c->name; c++)
            if (strcmp(c->name, name) == 0)
                return c;
    return NULL;
}

int node_start_modules(struct node *n)
{
    for (int i = 0; i < n->nmods; i++) {
        int r = n->mods[i]->start ? n->mods[i]->start(n) : 0;
        if (r < 0) {
            plat_log("p2pd: module %s failed to start (%d)", n->mods[i]->name, r);
            return r;
        }
    }
    return 0;
}

int node_module_option(struct node *n, const char *key, const char *value)
{
    for (int i = 0; i < n->nmods; i++) {
        int r = n->mods[i]->option ? n->mods[i]->option(n, key, value) : 0;
        if (r != 0)
            return r;
    }
    return 0;
}

int node_module_pollfds(struct node *n, struct plat_pollfd *fds, int cap)
{
    int k = 0;
    for (int i = 0; i < n->nmods; i++) {
        int got = n->mods[i]->pollfds && k < cap ? n->mods[i]->pollfds(n, fds + k, cap - k) : 0;
        n->mod_nfds[i] = got > 0 ? got : 0;
        k += n->mod_nfds[i];
    }
    return k;
}

void node_module_ready(struct node *n, const struct plat_pollfd *fds)
{
    int k = 0;
    for (int i = 0; i < n->nmods; i++) {
        if (n->mod_nfds[i] && n->mods[i]->ready)
            n->mods[i]->ready(n, fds + k, n->mod_nfds[i]);
        k += n->mod_nfds[i];
    }
}

void node_module_tick(struct node *n)
{
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i]->tick)
            n->mods[i]->tick(n);
}

void node_peer_up(struct conn *c)
{
    struct node *n = c->node;
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i]->peer_up)
            n->mods[i]->peer_up(c);
}

void node_peer_down(struct conn *c)
{
    struct node *n = c->node;
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i]->peer_down)
            n->mods[i]->peer_down(c);
}
