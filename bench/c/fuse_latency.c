/* Latency and scaling of 1 B reads on a FUSE file, for bench/devfs-latency:
 *
 *   fuse_latency FILE CLIENTS SECONDS
 *
 * Starts CLIENTS threads, each with its own descriptor on FILE, each reading 1 byte in a loop for
 * SECONDS (after a warm-up of a tenth of that) and timing every read with CLOCK_MONOTONIC into a
 * histogram of its own (buckets of 100 ns up to 1 ms, then one for longer). Prints one CSV line:
 *   CLIENTS,<reads/s in all>,<p50 us>,<p99 us>,<CPU us per read: user+system of the process>
 * The CPU column is this client process's own time (getrusage), not the server's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 10001 /* 100 ns each up to 1 ms; the last one holds everything longer */

static const char *file;
static double warm_until, end_at;
static volatile int measuring;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

struct client {
    pthread_t thread;
    unsigned long hist[BUCKETS];
    unsigned long reads;
};

static void *run(void *arg) {
    struct client *c = arg;
    char b;
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        perror(file);
        exit(1);
    }
    for (;;) {
        double t0 = now();
        if (t0 >= end_at) break;
        if (read(fd, &b, 1) != 1) {
            perror("read");
            exit(1);
        }
        if (t0 < warm_until) continue;
        long bucket = (long) ((now() - t0) * 1e7);
        c->hist[bucket < BUCKETS - 1 ? bucket : BUCKETS - 1]++;
        c->reads++;
    }
    close(fd);
    return NULL;
}

static double percentile(unsigned long *hist, unsigned long total, double p) {
    unsigned long want = (unsigned long) (total * p), seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
        seen += hist[i];
        if (seen > want) return (i + 0.5) / 10.0; /* microseconds */
    }
    return (BUCKETS - 1) / 10.0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: fuse_latency FILE CLIENTS SECONDS\n");
        return 2;
    }
    file = argv[1];
    int n = atoi(argv[2]);
    double secs = atof(argv[3]);
    struct client *cs = calloc(n, sizeof *cs);
    double start = now();
    warm_until = start + secs / 10;
    end_at = warm_until + secs;
    for (int i = 0; i < n; i++) pthread_create(&cs[i].thread, NULL, run, &cs[i]);
    static unsigned long hist[BUCKETS];
    unsigned long total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(cs[i].thread, NULL);
        for (int b = 0; b < BUCKETS; b++) hist[b] += cs[i].hist[b];
        total += cs[i].reads;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    printf("%d,%.0f,%.1f,%.1f,%.2f\n", n, total / secs, percentile(hist, total, 0.5), percentile(hist, total, 0.99),
           total ? cpu * 1e6 / total : 0.0);
    return 0;
}
