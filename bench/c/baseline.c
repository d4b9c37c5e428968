/* The C baseline for bench/run: the same system calls the HAL makes, in a plain loop.
 * Prints "name,nanoseconds per call" lines; each figure is the median of 7 timed runs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

typedef long (*op_fn)(int fd, void *buf, size_t n);

static long do_ioctl_winsz(int fd, void *buf, size_t n) { (void) n; return ioctl(fd, TIOCGWINSZ, buf); }
static long do_ioctl_kvm(int fd, void *buf, size_t n) { (void) buf; (void) n; return ioctl(fd, 0xAE00, 0); }
static long do_read(int fd, void *buf, size_t n) { return read(fd, buf, n); }

static double measure(op_fn op, int fd, void *buf, size_t n, long iters) {
    double runs[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            if (op(fd, buf, n) < 0) { perror("call"); exit(1); }
        }
        runs[r] = (now() - t0) / iters;
    }
    qsort(runs, 7, sizeof runs[0], cmp);
    return runs[3];
}

int main(int argc, char **argv) {
    long scale = argc > 1 && strcmp(argv[1], "quick") == 0 ? 1 : 10;
    static char buf[1 << 20] __attribute__((aligned(4096))); /* page-aligned, as HalBench's */
    int pty = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty >= 0) printf("ioctl_TIOCGWINSZ,%.2f\n", measure(do_ioctl_winsz, pty, buf, 0, 100000 * scale));
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm >= 0) printf("ioctl_KVM_GET_API_VERSION,%.2f\n", measure(do_ioctl_kvm, kvm, buf, 0, 100000 * scale));
    int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    size_t sizes[] = {1, 4096, 65536, 1 << 20};
    long iters[] = {100000, 50000, 5000, 300};
    for (int i = 0; i < 4; i++) {
        printf("read_zero_%zu,%.2f\n", sizes[i], measure(do_read, zero, buf, sizes[i], iters[i] * scale));
    }
    return 0;
}
