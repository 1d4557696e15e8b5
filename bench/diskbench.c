/*
 * diskbench - the disk's group-commit rate: the physical limit for an fsync'd (acks=all)
 * append log on this machine. Appends GROUP writes of BS bytes to a fresh file with
 * write(), then calls fdatasync(), and repeats, until COUNT writes or SECS seconds.
 *
 *   diskbench FILE [--bs 1024] [--group 64] [--count 5000000] [--secs 5] [--label disk]
 *
 * Prints one line:
 *   RESULT disk write_fdatasync bs=1024 group=64 msgs=... secs=... msgs_per_s=...
 *          MB_per_s=... fsyncs_per_s=... cycle_p50_us=... cycle_p99_us=...
 * where a cycle is one group's writes plus its fdatasync. The file is removed at the end.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: diskbench FILE [--bs 1024] [--group 64] [--count N] [--secs S] "
                        "[--label disk]\n");
        return 2;
    }
    const char *path = argv[1], *label = "disk";
    long bs = 1024, group = 64, count = 5000000;
    double secs = 5;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bs"))
            bs = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--group"))
            group = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--count"))
            count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--secs"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--label"))
            label = argv[i + 1];
        else {
            fprintf(stderr, "diskbench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (bs <= 0 || group <= 0 || count <= 0 || secs <= 0)
        return 2;
    char *buf = malloc((size_t)bs);
    bench_payload(buf, (size_t)bs);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "diskbench: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    long max_cycles = count / group + 1;
    double *cyc = malloc(sizeof(double) * (size_t)max_cycles);
    long ops = 0, cycles = 0;
    int rc = 0;
    double t0 = bench_now(), deadline = t0 + secs;
    while (ops < count && cycles < max_cycles && bench_now() < deadline) {
        double c0 = bench_now();
        for (long g = 0; g < group && ops < count; g++, ops++) {
            if (write(fd, buf, (size_t)bs) != (ssize_t)bs) {
                fprintf(stderr, "diskbench: write: %s\n", strerror(errno));
                rc = 1;
                goto out;
            }
        }
        if (fdatasync(fd) != 0) {
            fprintf(stderr, "diskbench: fdatasync: %s\n", strerror(errno));
            rc = 1;
            goto out;
        }
        cyc[cycles++] = (bench_now() - c0) * 1e6;
    }
out:;
    double el = bench_now() - t0;
    close(fd);
    unlink(path);
    bench_sort(cyc, (size_t)cycles);
    printf("RESULT %s write_fdatasync bs=%ld group=%ld msgs=%ld secs=%.3f msgs_per_s=%.0f "
           "MB_per_s=%.1f fsyncs_per_s=%.0f cycle_p50_us=%.0f cycle_p99_us=%.0f\n",
           label, bs, group, ops, el, (double)ops / el, (double)ops * (double)bs / el / 1e6,
           (double)cycles / el, bench_pct(cyc, (size_t)cycles, 0.5),
           bench_pct(cyc, (size_t)cycles, 0.99));
    free(cyc);
    free(buf);
    return rc;
}
