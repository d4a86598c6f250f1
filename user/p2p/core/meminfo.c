/* The module behind `p2p mem` (meminfo.h). */
#include "core/meminfo.h"
#include "core/node.h"

static void cmd_mem(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc, (void)argv;
    int conns = 0, streams = 0;
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        if (n->conns[i].used && n->conns[i].phase == PH_YAMUX) {
            conns++;
            streams += n->conns[i].nstreams;
        }
    }
    char line[160];
    snprintf(line, sizeof line, "mem free_bytes=%ld conns=%d streams=%d conn_slot_bytes=%lu", plat_free_memory(), conns, streams,
             (unsigned long)sizeof(struct conn));
    node_reply(n, ctl, line);
    node_reply(n, ctl, "ok");
}

NODE_MODULE(meminfo, 0, .cmds = NODE_CMDS({"mem", 0, 0, "mem", cmd_mem}));
