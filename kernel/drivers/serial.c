/* COM1 16550 UART, polled. */
#include "drivers/serial.h"
#include "arch/x86_64/io.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
    outb(COM1 + REG_IER, 0x00);
    outb(COM1 + REG_LCR, 0x80);     /* DLAB on: next two bytes set the divisor */
    outb(COM1 + 0, 0x01);           /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + REG_LCR, 0x03);     /* 8N1, DLAB off */
    outb(COM1 + REG_FCR, 0xC7);     /* FIFOs on and cleared */
    outb(COM1 + REG_MCR, 0x03);     /* DTR, RTS */
}

void serial_putc(char c)
{
    while (!(inb(COM1 + REG_LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    /* Plain \n line ends: the output is parsed by programs, not a terminal. */
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}

int serial_getc(void)
{
    if (!(inb(COM1 + REG_LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + REG_DATA);
}
