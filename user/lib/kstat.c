/* Reading /proc/kstat (format in kernel/proc/kstat.h). */
#include "sys.h"

static char kstat_buf[6144];

/* Reads the whole snapshot; returns its length or -1. */
static long kstat_load(void)
{
    long fd = open("/proc/kstat", O_RDONLY);
    if (fd < 0)
        return -1;
    long len = 0, n;
    while (len < (long)sizeof kstat_buf - 1 && (n = read((int)fd, kstat_buf + len, sizeof kstat_buf - 1 - (size_t)len)) > 0)
        len += n;
    close((int)fd);
    kstat_buf[len] = 0;
    return len;
}

static long parse_num(const char **pp)
{
    const char *p = *pp;
    long sign = 1, v = 0;
    if (*p == '-') {
        sign = -1;
        p++;
    }
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    *pp = p;
    return sign * v;
}

/* Line starting at p matches "word " ? returns the text after it. */
static const char *after_word(const char *p, const char *word)
{
    while (*word && *p == *word) {
        p++;
        word++;
    }
    return (!*word && *p == ' ') ? p + 1 : 0;
}

long kstat_get(const char *key)
{
    if (kstat_load() < 0)
        return -1;
    return kstat_last(key);
}

long kstat_last(const char *key)
{
    for (const char *line = kstat_buf; *line;) {
        const char *v = after_word(line, key);
        if (v)
            return parse_num(&v);
        while (*line && *line != '\n')
            line++;
        if (*line)
            line++;
    }
    return -1;
}

/* The text after "proc PID " on pid's line, NULL if it is not listed. */
static const char *proc_line(long pid)
{
    if (kstat_load() < 0)
        return NULL;
    for (const char *line = kstat_buf; *line;) {
        const char *v = after_word(line, "proc");
        if (v && parse_num(&v) == pid)
            return v + 1;
        while (*line && *line != '\n')
            line++;
        if (*line)
            line++;
    }
    return NULL;
}

long kstat_proc_ticks(long pid)
{
    /* proc PID PPID STATE TICKS NAME */
    const char *v = proc_line(pid);
    if (!v)
        return -1;
    parse_num(&v);
    v += 3;
    return parse_num(&v);
}

int kstat_proc_state(long pid)
{
    const char *v = proc_line(pid);
    if (!v)
        return -1;
    parse_num(&v);
    return v[1];
}
