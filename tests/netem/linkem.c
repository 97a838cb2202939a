/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linkem: a packet-level link emulator in user space, for kernels without
 * sch_netem. It joins two TUN devices as a point-to-point link and applies
 * netem's impairments to every IP packet in both directions: random loss,
 * a delay with uniform jitter (which reorders, as netem's does), reordering
 * (a share of packets skip the delay) and a cut (everything dropped).
 *
 *   linkem TUN_A TUN_B CONTROL_FILE
 *
 * Creates TUN_A and TUN_B in the current network namespace, prints "ready"
 * on stdout, and forwards until SIGTERM or SIGINT, then prints its counters.
 * The caller moves each device into its namespace (the open descriptors stay
 * attached). CONTROL_FILE holds "loss=PCT delay=MS jitter=MS reorder=PCT
 * cut=0|1"; it is read again whenever its modification time changes, so a
 * test changes the link by replacing the file (write, then rename).
 *
 * A host test tool: it uses the heap and Linux interfaces freely.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 2048
#define MAX_QUEUED 8192

typedef struct {
    uint64_t due_us;
    uint64_t seq;   /* ties keep arrival order */
    int out;        /* descriptor to write to */
    size_t len;
    uint8_t data[MAX_PACKET];
} packet_t;

typedef struct {
    unsigned loss_pct;
    unsigned delay_ms;
    unsigned jitter_ms;
    unsigned reorder_pct;
    bool cut;
} link_t;

static packet_t *g_heap[MAX_QUEUED];
static size_t g_count;
static volatile sig_atomic_t g_stop;
static unsigned long long g_forwarded, g_lost, g_cut, g_reordered, g_overflow;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool before(const packet_t *a, const packet_t *b)
{
    return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_push(packet_t *p)
{
    size_t i = g_count++;
    g_heap[i] = p;
    while (i > 0 && before(g_heap[i], g_heap[(i - 1) / 2])) {
        packet_t *t = g_heap[i];
        g_heap[i] = g_heap[(i - 1) / 2];
        g_heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static packet_t *heap_pop(void)
{
    packet_t *top = g_heap[0];
    g_heap[0] = g_heap[--g_count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < g_count && before(g_heap[l], g_heap[m])) {
            m = l;
        }
        if (r < g_count && before(g_heap[r], g_heap[m])) {
            m = r;
        }
        if (m == i) {
            break;
        }
        packet_t *t = g_heap[i];
        g_heap[i] = g_heap[m];
        g_heap[m] = t;
        i = m;
    }
    return top;
}

static int tun_open(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("linkem: /dev/net/tun");
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "linkem: TUNSETIFF %s: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void read_control(const char *path, link_t *l, struct timespec *mtime)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || (sb.st_mtim.tv_sec == mtime->tv_sec &&
                                 sb.st_mtim.tv_nsec == mtime->tv_nsec)) {
        return;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    link_t n = { 0 };
    unsigned cut = 0;
    if (fscanf(f, "loss=%u delay=%u jitter=%u reorder=%u cut=%u", &n.loss_pct, &n.delay_ms,
               &n.jitter_ms, &n.reorder_pct, &cut) == 5) {
        n.cut = cut != 0;
        *l = n;
        *mtime = sb.st_mtim;
        fprintf(stderr, "linkem: loss=%u%% delay=%ums jitter=%ums reorder=%u%% cut=%u\n",
                l->loss_pct, l->delay_ms, l->jitter_ms, l->reorder_pct, cut);
    }
    fclose(f);
}

static bool chance(unsigned pct)
{
    return pct > 0 && (unsigned)(random() % 100) < pct;
}

/* Read every packet waiting on `in` and schedule it for `out`. */
static void take(int in, int out, const link_t *l, uint64_t *seq)
{
    for (;;) {
        packet_t *p = malloc(sizeof(*p));
        if (p == NULL) {
            return;
        }
        ssize_t n = read(in, p->data, sizeof(p->data));
        if (n <= 0) {
            free(p);
            return;
        }
        if (l->cut) {
            g_cut++;
            free(p);
            continue;
        }
        if (chance(l->loss_pct)) {
            g_lost++;
            free(p);
            continue;
        }
        long delay_us = (long)l->delay_ms * 1000;
        if (l->jitter_ms > 0) {
            delay_us += (long)(random() % (2 * (long)l->jitter_ms * 1000 + 1)) -
                        (long)l->jitter_ms * 1000;
        }
        if (chance(l->reorder_pct)) {
            delay_us = 0; /* overtakes the delayed ones */
            g_reordered++;
        }
        if (delay_us < 0) {
            delay_us = 0;
        }
        if (g_count == MAX_QUEUED) {
            g_overflow++; /* a full queue drops, as a router's does */
            free(p);
            continue;
        }
        p->len = (size_t)n;
        p->out = out;
        p->seq = (*seq)++;
        p->due_us = now_us() + (uint64_t)delay_us;
        heap_push(p);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: linkem TUN_A TUN_B CONTROL_FILE\n");
        return 2;
    }
    int a = tun_open(argv[1]);
    int b = tun_open(argv[2]);
    if (a < 0 || b < 0) {
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    srandom((unsigned)getpid());

    link_t l = { 0 };
    struct timespec mtime = { 0, 0 };
    uint64_t seq = 0;
    uint64_t next_control = 0;
    printf("ready\n");
    fflush(stdout);

    while (!g_stop) {
        uint64_t now = now_us();
        if (now >= next_control) {
            read_control(argv[3], &l, &mtime);
            next_control = now + 50000u;
        }
        while (g_count > 0 && g_heap[0]->due_us <= now) {
            packet_t *p = heap_pop();
            if (write(p->out, p->data, p->len) == (ssize_t)p->len) {
                g_forwarded++;
            }
            free(p);
        }
        int timeout_ms = 50;
        if (g_count > 0) {
            uint64_t wait = (g_heap[0]->due_us > now) ? g_heap[0]->due_us - now : 0;
            if (wait / 1000u < (uint64_t)timeout_ms) {
                timeout_ms = (int)((wait + 999u) / 1000u);
            }
        }
        struct pollfd fds[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
        if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
            perror("linkem: poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            take(a, b, &l, &seq);
        }
        if (fds[1].revents & POLLIN) {
            take(b, a, &l, &seq);
        }
    }
    printf("linkem: forwarded=%llu lost=%llu cut=%llu reordered=%llu overflow=%llu\n", g_forwarded,
           g_lost, g_cut, g_reordered, g_overflow);
    return 0;
}
