/*
 * bench/prefetch: a recorded-working-set prefetch for the Lambda-like rows (issue 25 part 4), the
 * way REAP and FaaSnap prefetch a VM snapshot's working set: record which pages of a package's
 * files a cold start touched, and at the next start ask for all of them at once, in parallel with
 * the start itself, instead of letting the runtime fault them in one read request at a time.
 *
 *   prefetch record <root> <list> <file>...        after a cold start (pages still resident):
 *       writes <list>, one line per run of resident pages: <path relative to root>\t<offset>\t<bytes>
 *   prefetch run <root> <list> <command> [arg]...  forks a prefetcher (THREADS threads, each
 *       opening its share of the list's files and posix_fadvise(WILLNEED)-ing their runs, which
 *       queues the reads without waiting for them), then execs <command> at once.
 *
 * Why hand-written C: the prefetch must start before node does (node's own binary is most of the
 * working set), and nothing in Debian or npm records and replays page runs. Compiled by the bench
 * (cc) into bench/.work/prefetch. An experiment of the bench, shipped nowhere.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 16

static int record(const char *root, const char *list, int n, char **files) {
  FILE *out = fopen(list, "w");
  if (out == NULL) { perror(list); return 1; }
  long page = sysconf(_SC_PAGESIZE);
  size_t rootlen = strlen(root);
  for (int i = 0; i < n; i++) {
    const char *path = files[i];
    if (strncmp(path, root, rootlen) != 0 || path[rootlen] != '/') { fprintf(stderr, "%s is not under %s\n", path, root); return 1; }
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror(path); return 1; }
    if (st.st_size == 0) { close(fd); continue; }
    void *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) { perror(path); return 1; }
    long pages = (st.st_size + page - 1) / page;
    unsigned char *vec = malloc(pages);
    if (vec == NULL || mincore(map, st.st_size, vec) != 0) { perror(path); return 1; }
    for (long p = 0; p < pages;) {
      if (!(vec[p] & 1)) { p++; continue; }
      long start = p;
      while (p < pages && (vec[p] & 1)) p++;
      fprintf(out, "%s\t%ld\t%ld\n", path + rootlen + 1, start * page, (p - start) * page);
    }
    free(vec);
    munmap(map, st.st_size);
  }
  return fclose(out) == 0 ? 0 : 1;
}

struct run { char *path; long offset; long bytes; };
static struct run *runs;
static int nruns;
static const char *prefix;

/* Thread t takes every THREADS-th file (runs of one file stay together, in the list's order). */
static void *worker(void *arg) {
  long t = (long)arg;
  int file = -1;
  int fd = -1;
  char path[4096];
  for (int i = 0; i < nruns; i++) {
    if (i == 0 || strcmp(runs[i].path, runs[i - 1].path) != 0) file++;
    if (file % THREADS != t) continue;
    if (i == 0 || strcmp(runs[i].path, runs[i - 1].path) != 0) {
      if (fd >= 0) close(fd);
      snprintf(path, sizeof path, "%s/%s", prefix, runs[i].path);
      fd = open(path, O_RDONLY);
    }
    if (fd >= 0) posix_fadvise(fd, runs[i].offset, runs[i].bytes, POSIX_FADV_WILLNEED);
  }
  if (fd >= 0) close(fd);
  return NULL;
}

static int load(const char *list) {
  FILE *in = fopen(list, "r");
  if (in == NULL) return -1;
  int cap = 1024;
  runs = malloc(sizeof *runs * cap);
  char line[4200];
  while (fgets(line, sizeof line, in) != NULL) {
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 == NULL ? NULL : strchr(tab1 + 1, '\t');
    if (tab2 == NULL) continue;
    *tab1 = '\0';
    if (nruns == cap) runs = realloc(runs, sizeof *runs * (cap *= 2));
    runs[nruns++] = (struct run){ strdup(line), atol(tab1 + 1), atol(tab2 + 1) };
  }
  fclose(in);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "record") == 0) return record(argv[2], argv[3], argc - 4, argv + 4);
  if (argc < 5 || strcmp(argv[1], "run") != 0) {
    fprintf(stderr, "usage: prefetch record <root> <list> <file>... | prefetch run <root> <list> <command> [arg]...\n");
    return 2;
  }
  prefix = argv[2];
  /* Double fork: the prefetcher is reparented to init, so the runtime never has a child to reap. */
  pid_t child = fork();
  if (child == 0) {
    if (fork() != 0) _exit(0);
    if (load(argv[3]) == 0) {
      pthread_t threads[THREADS];
      for (long t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
      for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    }
    _exit(0);
  }
  if (child > 0) waitpid(child, NULL, 0);
  execv(argv[4], argv + 4);
  perror(argv[4]);
  return 127;
}
