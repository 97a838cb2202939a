/* SPDX-License-Identifier: Apache-2.0 */
/* LAN9118 Ethernet controller: reset, MAC set-up, polled transmit and receive. */
#include "lan9118.h"

#include <string.h>

/* System control and status registers (datasheet section 5.3), offsets
 * from the controller's base address. */
#define REG_RX_DATA_FIFO 0x00u
#define REG_TX_DATA_FIFO 0x20u
#define REG_RX_STATUS_FIFO 0x40u
#define REG_RX_STATUS_PEEK 0x44u
#define REG_TX_STATUS_FIFO 0x48u
#define REG_ID_REV 0x50u
#define REG_INT_EN 0x5Cu
#define REG_BYTE_TEST 0x64u
#define REG_RX_CFG 0x6Cu
#define REG_TX_CFG 0x70u
#define REG_HW_CFG 0x74u
#define REG_RX_FIFO_INF 0x7Cu
#define REG_TX_FIFO_INF 0x80u
#define REG_PMT_CTRL 0x84u
#define REG_MAC_CSR_CMD 0xA4u
#define REG_MAC_CSR_DATA 0xA8u
#define REG_AFC_CFG 0xACu

#define BYTE_TEST_VALUE 0x87654321u
#define ID_REV_CHIP_LAN9118 0x0118u

#define HW_CFG_SRST (1u << 0)
#define HW_CFG_MBO (1u << 20)          /* must be written as one */
#define HW_CFG_TX_FIF_SZ(kib) ((uint32_t)(kib) << 16)
#define PMT_CTRL_READY (1u << 0)
#define TX_CFG_TX_ON (1u << 1)
#define TX_CFG_TXSAO (1u << 2)         /* TX status FIFO may overrun: not read back */
#define RX_CFG_RX_DUMP (1u << 15)

#define MAC_CSR_BUSY (1u << 31)
#define MAC_CSR_READ (1u << 30)

/* MAC control and status registers (section 5.4), through MAC_CSR_CMD. */
#define MAC_CR 1u
#define MAC_ADDRH 2u
#define MAC_ADDRL 3u
#define MAC_MII_ACC 6u
#define MAC_MII_DATA 7u

#define MAC_CR_RXEN (1u << 2)
#define MAC_CR_TXEN (1u << 3)
#define MAC_CR_FDPX (1u << 20)

#define MII_ACC_BUSY (1u << 0)
#define MII_ACC_WRITE (1u << 1)
#define MII_ACC_REG(r) ((uint32_t)(r) << 6)
#define MII_ACC_PHY(p) ((uint32_t)(p) << 11)
#define PHY_ADDR 1u                    /* the internal PHY */
#define PHY_BSR 1u                     /* basic status register */
#define PHY_BSR_LINK (1u << 2)

/* TX command words (section 3.12). */
#define TXA_FIRST (1u << 13)
#define TXA_LAST (1u << 12)

/* RX status word (section 3.13). */
#define RXS_ERROR (1u << 15)
#define RXS_LENGTH(s) (((s) >> 16) & 0x3FFFu) /* frame length including the FCS */
#define RX_FIFO_INF_STATUS_USED(v) (((v) >> 16) & 0xFFu)
#define TX_FIFO_INF_DATA_FREE(v) ((v) & 0xFFFFu)

#define FCS_LEN 4u
#define SPIN_LIMIT 100000u

static inline volatile uint32_t *reg(uintptr_t base, uint32_t off)
{
    return (volatile uint32_t *)(base + off);
}

static inline uint32_t rd(uintptr_t base, uint32_t off)
{
    return *reg(base, off);
}

static inline void wr(uintptr_t base, uint32_t off, uint32_t v)
{
    *reg(base, off) = v;
}

static lan9118_result_t mac_wait(uintptr_t base)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        if ((rd(base, REG_MAC_CSR_CMD) & MAC_CSR_BUSY) == 0u) {
            return LAN9118_OK;
        }
    }
    return LAN9118_ERR_TIMEOUT;
}

static lan9118_result_t mac_read(uintptr_t base, uint32_t csr, uint32_t *value)
{
    if (mac_wait(base) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    wr(base, REG_MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | (csr & 0xFFu));
    if (mac_wait(base) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    *value = rd(base, REG_MAC_CSR_DATA);
    return LAN9118_OK;
}

static lan9118_result_t mac_write(uintptr_t base, uint32_t csr, uint32_t value)
{
    if (mac_wait(base) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    wr(base, REG_MAC_CSR_DATA, value);
    wr(base, REG_MAC_CSR_CMD, MAC_CSR_BUSY | (csr & 0xFFu));
    return mac_wait(base);
}

static lan9118_result_t phy_read(uintptr_t base, uint32_t phy_reg, uint32_t *value)
{
    uint32_t acc = 0;

    if (mac_write(base, MAC_MII_ACC, MII_ACC_PHY(PHY_ADDR) | MII_ACC_REG(phy_reg) |
                                         MII_ACC_BUSY) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        if (mac_read(base, MAC_MII_ACC, &acc) != LAN9118_OK) {
            return LAN9118_ERR_TIMEOUT;
        }
        if ((acc & MII_ACC_BUSY) == 0u) {
            return mac_read(base, MAC_MII_DATA, value);
        }
    }
    return LAN9118_ERR_TIMEOUT;
}

uint32_t lan9118_id_rev(uintptr_t base)
{
    return rd(base, REG_ID_REV);
}

lan9118_result_t lan9118_init(uintptr_t base, const uint8_t mac[6])
{
    uint32_t i;
    uint32_t cr = 0;

    /* BYTE_TEST reads back a fixed pattern from any working bus interface,
     * even before the chip is ready; ID_REV names the chip. */
    if (rd(base, REG_BYTE_TEST) != BYTE_TEST_VALUE ||
        (lan9118_id_rev(base) >> 16) != ID_REV_CHIP_LAN9118) {
        return LAN9118_ERR_NO_DEVICE;
    }
    wr(base, REG_INT_EN, 0u); /* polled */
    wr(base, REG_HW_CFG, HW_CFG_SRST);
    for (i = 0; i < SPIN_LIMIT && (rd(base, REG_HW_CFG) & HW_CFG_SRST) != 0u; i++) {
    }
    for (; i < SPIN_LIMIT && (rd(base, REG_PMT_CTRL) & PMT_CTRL_READY) == 0u; i++) {
    }
    if (i == SPIN_LIMIT) {
        return LAN9118_ERR_TIMEOUT;
    }
    /* 5 KiB TX FIFO (the reset default), the rest for RX. */
    wr(base, REG_HW_CFG, HW_CFG_MBO | HW_CFG_TX_FIF_SZ(5));
    wr(base, REG_AFC_CFG, 0x006E3740u); /* flow-control thresholds recommended by the datasheet */

    if (mac_write(base, MAC_ADDRL, (uint32_t)mac[0] | ((uint32_t)mac[1] << 8) |
                                       ((uint32_t)mac[2] << 16) | ((uint32_t)mac[3] << 24)) !=
            LAN9118_OK ||
        mac_write(base, MAC_ADDRH, (uint32_t)mac[4] | ((uint32_t)mac[5] << 8)) != LAN9118_OK ||
        mac_read(base, MAC_CR, &cr) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    wr(base, REG_RX_CFG, 0u); /* frame data starts at the first byte of the first word */
    wr(base, REG_TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
    if (mac_write(base, MAC_CR, cr | MAC_CR_RXEN | MAC_CR_TXEN | MAC_CR_FDPX) != LAN9118_OK) {
        return LAN9118_ERR_TIMEOUT;
    }
    return LAN9118_OK;
}

int lan9118_link_up(uintptr_t base)
{
    uint32_t bsr = 0;

    return phy_read(base, PHY_BSR, &bsr) == LAN9118_OK && (bsr & PHY_BSR_LINK) != 0u;
}

lan9118_result_t lan9118_send(uintptr_t base, const uint8_t *const *pieces, const size_t *lens,
                              size_t count)
{
    /* The frame is gathered into one word-aligned buffer and sent as a single
     * segment: simpler than one FIFO segment per piece with start offsets. */
    static uint32_t frame[(LAN9118_MAX_FRAME + 3u) / 4u];
    size_t total = 0;
    size_t words;

    for (size_t i = 0; i < count; i++) {
        if (lens[i] > LAN9118_MAX_FRAME - total) {
            return LAN9118_ERR_TOO_LONG;
        }
        memcpy((uint8_t *)frame + total, pieces[i], lens[i]);
        total += lens[i];
    }
    words = (total + 3u) / 4u;
    /* Room for the two command words and the data. */
    if (TX_FIFO_INF_DATA_FREE(rd(base, REG_TX_FIFO_INF)) < words * 4u + 8u) {
        return LAN9118_ERR_FULL;
    }
    wr(base, REG_TX_DATA_FIFO, TXA_FIRST | TXA_LAST | (uint32_t)total);
    wr(base, REG_TX_DATA_FIFO, ((uint32_t)total << 16) | (uint32_t)total); /* tag, length */
    for (size_t w = 0; w < words; w++) {
        wr(base, REG_TX_DATA_FIFO, frame[w]);
    }
    return LAN9118_OK;
}

size_t lan9118_rx_peek(uintptr_t base)
{
    while (RX_FIFO_INF_STATUS_USED(rd(base, REG_RX_FIFO_INF)) != 0u) {
        uint32_t status = rd(base, REG_RX_STATUS_PEEK);
        size_t len = RXS_LENGTH(status);

        if ((status & RXS_ERROR) == 0u && len > FCS_LEN && len <= LAN9118_MAX_FRAME + FCS_LEN) {
            return len - FCS_LEN;
        }
        /* A bad frame: take its status and discard its data. */
        (void)rd(base, REG_RX_STATUS_FIFO);
        for (size_t w = 0; w < (len + 3u) / 4u; w++) {
            (void)rd(base, REG_RX_DATA_FIFO);
        }
    }
    return 0;
}

void lan9118_rx_read(uintptr_t base, uint8_t *buf, size_t len)
{
    size_t words = (len + FCS_LEN + 3u) / 4u;
    size_t w;

    (void)rd(base, REG_RX_STATUS_FIFO); /* the status lan9118_rx_peek() looked at */
    for (w = 0; w < words; w++) {
        uint32_t v = rd(base, REG_RX_DATA_FIFO);
        size_t at = w * 4u;

        if (at < len) {
            size_t n = (len - at < 4u) ? len - at : 4u;
            memcpy(buf + at, &v, n);
        }
    }
}

void lan9118_rx_drop(uintptr_t base, size_t len)
{
    size_t words = (len + FCS_LEN + 3u) / 4u;

    (void)rd(base, REG_RX_STATUS_FIFO);
    for (size_t w = 0; w < words; w++) {
        (void)rd(base, REG_RX_DATA_FIFO);
    }
}
