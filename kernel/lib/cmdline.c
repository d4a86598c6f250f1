#include "lib/cmdline.h"
#include "lib/string.h"

static char cmdline[1024];

void cmdline_init(const char *text)
{
    strlcpy(cmdline, text, sizeof cmdline);
}

const char *cmdline_text(void)
{
    return cmdline;
}

bool cmdline_get(const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - word);
        if (wlen > klen && strncmp(word, key, klen) == 0 && word[klen] == '=') {
            size_t vlen = wlen - klen - 1;
            if (n) {
                if (vlen > n - 1)
                    vlen = n - 1;
                memcpy(buf, word + klen + 1, vlen);
                buf[vlen] = 0;
            }
            return true;
        }
    }
    return false;
}
