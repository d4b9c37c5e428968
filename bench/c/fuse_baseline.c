/* The C anchor for bench/devfs: the devices devfs serves (mem's "zero" and scull's "scull0"),
 * served by libfuse3's low-level API so devfs can be compared with a plain C FUSE server.
 *
 *   fuse_baseline [-s] [-a] MOUNTPOINT
 *
 *   -s  single-threaded loop (fuse_session_loop) instead of the default multi-threaded one
 *   -a  add allow_other to the mount options (default_permissions is always on, as in devfs)
 *   -Z  reply to reads from a static zero buffer without writing the bytes (context only: its
 *       pages are all the kernel's shared zero page, so no memory is written or read cold)
 *
 * The root directory holds two regular files of size 0, mode 0666. Both open with direct_io
 * and nonseekable, so every read(2) and ioctl(2) on them reaches this process:
 *   zero    read returns `size` zero bytes, written into the thread's reply buffer first
 *   scull0  ioctl SCULL_IOCGQUANTUM (_IOR('k', 5, int)) returns 4000; other ioctls ENOTTY
 * Runs in the foreground until SIGINT/SIGTERM/SIGHUP or an external unmount, then unmounts.
 * On exit it prints request counts to stderr so a run can confirm 64 KiB reads were single
 * requests. */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCULL_IOCGQUANTUM _IOR('k', 5, int)
#define SCULL_QUANTUM 4000
#define ZERO_BUF (1 << 20) /* largest read the kernel sends with max_pages 256 */
#define TIMEOUT 3600.0     /* the tree never changes: let the kernel cache names and attrs */

enum { INO_ROOT = FUSE_ROOT_ID, INO_ZERO, INO_SCULL };

static const char *const names[] = { [INO_ZERO] = "zero", [INO_SCULL] = "scull0" };
static const char zeros[ZERO_BUF];
static int zero_page; /* -Z: reply from `zeros` (the shared zero page) without producing the bytes */

/* Relaxed counters for the exit summary; cheap next to a /dev/fuse round trip. */
static atomic_ulong n_read, n_read_bytes, n_read_max, n_ioctl;

static void fill_attr(fuse_ino_t ino, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_uid = getuid();
    st->st_gid = getgid();
    if (ino == INO_ROOT) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0666;
        st->st_nlink = 1;
    }
}

static void bl_init(void *userdata, struct fuse_conn_info *conn) {
    (void) userdata;
    /* libfuse derives max_pages from max_write ((max_write - 1) / page + 1) and clamps
     * max_write to its 1 MiB receive buffer; ask for that so reads up to 1 MiB are one
     * request. max_read stays 0 = no limit unless -o max_read was given. */
    conn->max_write = ZERO_BUF;
    fprintf(stderr, "fuse_baseline: proto %u.%u, max_write %u, max_read %u, max_pages %ld\n",
            conn->proto_major, conn->proto_minor, conn->max_write, conn->max_read,
            (long) ((conn->max_write - 1) / sysconf(_SC_PAGESIZE) + 1));
}

static void bl_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param e;
    if (parent != INO_ROOT) { fuse_reply_err(req, ENOENT); return; }
    for (fuse_ino_t ino = INO_ZERO; ino <= INO_SCULL; ino++) {
        if (strcmp(name, names[ino]) == 0) {
            memset(&e, 0, sizeof e);
            e.ino = ino;
            e.attr_timeout = e.entry_timeout = TIMEOUT;
            fill_attr(ino, &e.attr);
            fuse_reply_entry(req, &e);
            return;
        }
    }
    fuse_reply_err(req, ENOENT);
}

static void bl_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    struct stat st;
    (void) fi;
    if (ino > INO_SCULL) { fuse_reply_err(req, ENOENT); return; }
    fill_attr(ino, &st);
    fuse_reply_attr(req, &st, TIMEOUT);
}

static void bl_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi) {
    /* Entry i (0 ".", 1 "..", 2 "zero", 3 "scull0") carries next offset i + 1. */
    static const char *const ents[] = { ".", "..", "zero", "scull0" };
    static const fuse_ino_t inos[] = { INO_ROOT, INO_ROOT, INO_ZERO, INO_SCULL };
    char buf[512];
    size_t used = 0;
    (void) fi;
    if (ino != INO_ROOT) { fuse_reply_err(req, ENOTDIR); return; }
    if (size > sizeof buf) size = sizeof buf;
    for (off_t i = off; i < 4; i++) {
        struct stat st;
        fill_attr(inos[i], &st);
        size_t n = fuse_add_direntry(req, buf + used, size - used, ents[i], &st, i + 1);
        if (n > size - used) break;
        used += n;
    }
    fuse_reply_buf(req, buf, used);
}

static void bl_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if (ino == INO_ROOT) { fuse_reply_err(req, EISDIR); return; }
    if (ino > INO_SCULL) { fuse_reply_err(req, ENOENT); return; }
    fi->direct_io = 1;   /* no page cache: each read(2) is a request, like a device */
    fi->nonseekable = 1; /* device files have no position */
    fuse_reply_open(req, fi);
}

static void bl_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi) {
    (void) off; (void) fi;
    if (ino != INO_ZERO) { fuse_reply_buf(req, NULL, 0); return; } /* scull0 starts empty */
    if (size > ZERO_BUF) size = ZERO_BUF;
    atomic_fetch_add_explicit(&n_read, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&n_read_bytes, size, memory_order_relaxed);
    unsigned long max = atomic_load_explicit(&n_read_max, memory_order_relaxed);
    while (size > max && !atomic_compare_exchange_weak_explicit(
               &n_read_max, &max, size, memory_order_relaxed, memory_order_relaxed)) {}
    if (zero_page) { fuse_reply_buf(req, zeros, size); return; }
    /* Produce the zeros as the device does (Linux's read_iter_zero clears the destination,
     * devhost's mem driver fills the reply): a static const buffer is never written, so all of
     * it maps the kernel's one shared zero page and its reads come from cache, which is not the
     * work a device does. */
    static __thread char *reply;
    if (reply == NULL && posix_memalign((void **) &reply, 4096, ZERO_BUF) != 0) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memset(reply, 0, size);
    fuse_reply_buf(req, reply, size);
}

static void bl_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
                     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
                     size_t in_bufsz, size_t out_bufsz) {
    (void) arg; (void) fi; (void) flags; (void) in_buf; (void) in_bufsz;
    atomic_fetch_add_explicit(&n_ioctl, 1, memory_order_relaxed);
    /* The kernel sizes the output buffer from _IOC_SIZE(cmd), so out_bufsz is 4 here. */
    if (ino == INO_SCULL && cmd == SCULL_IOCGQUANTUM && out_bufsz >= sizeof(int)) {
        int v = SCULL_QUANTUM;
        fuse_reply_ioctl(req, 0, &v, sizeof v);
        return;
    }
    fuse_reply_err(req, ENOTTY);
}

static const struct fuse_lowlevel_ops ops = {
    .init = bl_init,
    .lookup = bl_lookup,
    .getattr = bl_getattr,
    .readdir = bl_readdir,
    .open = bl_open,
    .read = bl_read,
    .ioctl = bl_ioctl,
};

static void usage(void) {
    fprintf(stderr, "usage: fuse_baseline [-s] [-a] [-Z] MOUNTPOINT\n");
    exit(2);
}

int main(int argc, char **argv) {
    int single = 0, allow_other = 0, opt;
    while ((opt = getopt(argc, argv, "saZ")) != -1) {
        if (opt == 's') single = 1;
        else if (opt == 'a') allow_other = 1;
        else if (opt == 'Z') zero_page = 1;
        else usage();
    }
    if (optind != argc - 1) usage();
    const char *mnt = argv[optind];

    /* Same kernel mount options as devfs; fsname makes the mount easy to spot in mount(8). */
    char *fargv[] = { argv[0], "-o",
                      allow_other ? "default_permissions,allow_other,fsname=fuse_baseline"
                                  : "default_permissions,fsname=fuse_baseline",
                      NULL };
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);

    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (se == NULL) return 1;
    int rc = 1;
    if (fuse_set_signal_handlers(se) != 0) goto out_destroy;
    if (fuse_session_mount(se, mnt) != 0) goto out_signals;

    if (single) {
        rc = fuse_session_loop(se);
    } else {
        struct fuse_loop_config *cfg = fuse_loop_cfg_create(); /* libfuse defaults */
        rc = fuse_session_loop_mt(se, cfg);
        fuse_loop_cfg_destroy(cfg);
    }
    fprintf(stderr, "fuse_baseline: %lu reads (%lu bytes, largest %lu), %lu ioctls\n",
            atomic_load(&n_read), atomic_load(&n_read_bytes), atomic_load(&n_read_max),
            atomic_load(&n_ioctl));

    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_destroy:
    fuse_session_destroy(se);
    fuse_opt_free_args(&args);
    return rc != 0;
}
