/* The benchmarks' line about the machine's load (/proc/loadavg), printed beside their
 * figures so that a reader can tell a busy machine's numbers from a quiet one's. */
#ifndef QAT_BENCH_LOAD_H
#define QAT_BENCH_LOAD_H

#include <stdio.h>
#include <string.h>

static inline void print_load(void) {
    char buf[128] = "?\n";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?\n");
        fclose(f);
    }
    printf("machine load (/proc/loadavg): %s", buf);
}

#endif
