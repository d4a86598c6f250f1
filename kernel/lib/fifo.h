/* A first-in first-out list of structs chained through a pointer member,
 * held as a head and a tail pointer (BSD <sys/queue.h>'s STAILQ, with the
 * two pointers kept where the owner wants them): the received datagrams of
 * a UDP socket, a listener's accept queue. */
#pragma once
#include <stddef.h>

/* Appends item (its link set to NULL) after tail. */
#define FIFO_PUSH(head, tail, item, link)      \
    do {                                       \
        (item)->link = NULL;                   \
        if (tail)                              \
            (tail)->link = (item);             \
        else                                   \
            (head) = (item);                   \
        (tail) = (item);                       \
    } while (0)

/* Unlinks the head item (there must be one); the caller took it from head. */
#define FIFO_POP(head, tail, link)             \
    do {                                       \
        (head) = (head)->link;                 \
        if (!(head))                           \
            (tail) = NULL;                     \
    } while (0)
