/* The client for bench/devfs: the same loop against any FUSE server that exposes the devhost
 * devices "zero" (mem) and "scull0" (scull) in one directory.
 *
 *   fuse_client DIR [SECONDS]
 *
 * Opens DIR/zero read-only and DIR/scull0 read-write, then runs each measurement for SECONDS
 * (default 2) after a warm-up of a tenth of that, on one thread, and prints one CSV line each:
 *   read1,<ops/s>,ops/s        1 B read(2) on zero
 *   read64k,<MB/s>,MB/s        64 KiB read(2) on zero (MB = 10^6 bytes)
 *   read1m,<MB/s>,MB/s         1 MiB read(2) on zero
 *   ioctl,<ops/s>,ops/s        ioctl(SCULL_IOCGQUANTUM) on scull0, each result checked == 4000
 * Exits non-zero (message on stderr) on any short read, non-zero byte or wrong quantum. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SCULL_IOCGQUANTUM _IOR('k', 5, int)
#define SCULL_QUANTUM 4000
#define BUF (1 << 20)

/* Page-aligned: an unaligned 1 MiB buffer spans 257 pages and the kernel (max_pages 256)
 * would split each read in two requests. */
static char buf[BUF] __attribute__((aligned(4096)));

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

typedef void (*op_fn)(int fd, size_t n);

static void op_read(int fd, size_t n) {
    ssize_t r = read(fd, buf, n);
    if (r < 0) die("read zero");
    if ((size_t) r != n) {
        fprintf(stderr, "fuse_client: read zero returned %zd of %zu bytes\n", r, n);
        exit(1);
    }
}

static void op_ioctl(int fd, size_t n) {
    int v = 0;
    (void) n;
    if (ioctl(fd, SCULL_IOCGQUANTUM, &v) != 0) die("ioctl scull0 SCULL_IOCGQUANTUM");
    if (v != SCULL_QUANTUM) {
        fprintf(stderr, "fuse_client: SCULL_IOCGQUANTUM gave %d, expected %d\n", v, SCULL_QUANTUM);
        exit(1);
    }
}

/* Runs op for `secs` seconds and returns operations per second. The clock is read every
 * 16 operations; a vDSO clock_gettime is noise next to a FUSE round trip anyway. */
static double rate(op_fn op, int fd, size_t n, double secs) {
    long ops = 0;
    double t0 = now(), end = t0 + secs, t;
    do {
        for (int i = 0; i < 16; i++) op(fd, n);
        ops += 16;
    } while ((t = now()) < end);
    return ops / (t - t0);
}

static double measure(op_fn op, int fd, size_t n, double secs) {
    rate(op, fd, n, secs / 10); /* warm-up: server threads spawned, caches hot */
    return rate(op, fd, n, secs);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: fuse_client DIR [SECONDS]\n");
        return 2;
    }
    double secs = argc == 3 ? atof(argv[2]) : 2.0;
    if (secs <= 0) { fprintf(stderr, "fuse_client: bad SECONDS %s\n", argv[2]); return 2; }

    char path[4096];
    snprintf(path, sizeof path, "%s/zero", argv[1]);
    int zero = open(path, O_RDONLY);
    if (zero < 0) die(path);
    snprintf(path, sizeof path, "%s/scull0", argv[1]);
    int scull = open(path, O_RDWR);
    if (scull < 0) die(path);

    /* One checked full-size read: the device must really return zeros. */
    memset(buf, 0xff, BUF);
    op_read(zero, BUF);
    for (size_t i = 0; i < BUF; i++) {
        if (buf[i] != 0) {
            fprintf(stderr, "fuse_client: zero returned byte %d at %zu\n", buf[i], i);
            return 1;
        }
    }

    printf("read1,%.0f,ops/s\n", measure(op_read, zero, 1, secs));
    fflush(stdout);
    printf("read64k,%.1f,MB/s\n", measure(op_read, zero, 64 << 10, secs) * (64 << 10) / 1e6);
    fflush(stdout);
    printf("read1m,%.1f,MB/s\n", measure(op_read, zero, BUF, secs) * BUF / 1e6);
    fflush(stdout);
    printf("ioctl,%.0f,ops/s\n", measure(op_ioctl, scull, 0, secs));

    close(zero);
    close(scull);
    return 0;
}
