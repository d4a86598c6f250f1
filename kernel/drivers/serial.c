/* COM1 16550 UART: output polled; input polled by readers and, once a
 * console interrupt hook is registered, also taken on IRQ 4, so Ctrl-C is
 * seen while nobody reads. Input bytes wait in a small ring. */
#include "drivers/serial.h"
#include "arch/x86_64/io.h"
#include "arch/x86_64/irq.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IER_RX_AVAILABLE 0x01
#define MCR_OUT2 0x08       /* gates the UART's interrupt line on a PC */
#define COM1_IRQ 4
#define CTRL_C 0x03
#define RX_RING 256

static uint8_t rx_ring[RX_RING];
static unsigned rx_head, rx_tail;       /* free-running; interrupts off around both ends */
static void (*interrupt_hook)(void);

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

void serial_input_byte(uint8_t c)
{
    if (c == CTRL_C && interrupt_hook) {
        interrupt_hook();
        return;
    }
    if (rx_head - rx_tail < RX_RING)
        rx_ring[rx_head++ % RX_RING] = c;       /* a full ring drops the byte */
}

static void drain_uart(void)
{
    while (inb(COM1 + REG_LSR) & LSR_DATA_READY)
        serial_input_byte(inb(COM1 + REG_DATA));
}

int serial_getc(void)
{
    drain_uart();
    if (rx_head == rx_tail)
        return -1;
    return rx_ring[rx_tail++ % RX_RING];
}

void serial_on_interrupt_char(void (*fn)(void))
{
    interrupt_hook = fn;
    irq_register(COM1_IRQ, drain_uart);
    irq_unmask(COM1_IRQ);
    outb(COM1 + REG_MCR, 0x03 | MCR_OUT2);
    outb(COM1 + REG_IER, IER_RX_AVAILABLE);
}
