/* The floor for bench/isolation: a 1-byte request and its 1-byte answer between two processes
 * over a Unix stream socket pair, as the host and an isolated module's process talk (one write
 * and one read on each side per round trip).
 *
 *   pingpong [SECONDS]
 *
 * Prints one CSV line: pingpong,<round trips/s>,ops/s. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { perror("socketpair"); return 1; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    char c = 0;
    if (pid == 0) { /* the echo side: answers each byte until the socket ends */
        close(sv[0]);
        while (read(sv[1], &c, 1) == 1) {
            if (write(sv[1], &c, 1) != 1) break;
        }
        _exit(0);
    }
    close(sv[1]);
    long n = 0;
    double t0 = now(), end = t0 + secs / 10; /* warm-up */
    while (now() < end) { if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1) { perror("pingpong"); return 1; } }
    t0 = now(); end = t0 + secs;
    double t;
    do {
        for (int i = 0; i < 16; i++) {
            if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1) { perror("pingpong"); return 1; }
        }
        n += 16;
    } while ((t = now()) < end);
    close(sv[0]);
    waitpid(pid, NULL, 0);
    printf("pingpong,%.0f,ops/s\n", n / (t - t0));
    return 0;
}
