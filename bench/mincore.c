/*
 * bench/mincore: which 512 KiB chunks of each file are in the page cache, as Lambda's lazy loader
 * would have fetched them. For each file argument prints one line:
 *   <size bytes> <resident pages> <chunk indices with at least one resident page, comma-separated> <path>
 * Why hand-written C: vmtouch and fincore count resident pages per file but do not say which
 * pages; Node has no mincore(2). Compiled by the bench at setup (cc, which aws-lambda-ric's native
 * build needs anyway) into bench/.work/mincore.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_BYTES (512L * 1024L)

static int report(const char *path, long page) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror(path); return 1; }
  struct stat st;
  if (fstat(fd, &st) != 0) { perror(path); close(fd); return 1; }
  if (st.st_size == 0) { printf("0 0 - %s\n", path); close(fd); return 0; }
  void *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) { perror(path); return 1; }
  long pages = (st.st_size + page - 1) / page;
  unsigned char *vec = malloc(pages);
  if (vec == NULL || mincore(map, st.st_size, vec) != 0) { perror(path); munmap(map, st.st_size); free(vec); return 1; }
  long resident = 0;
  for (long i = 0; i < pages; i++) resident += vec[i] & 1;
  printf("%lld %ld ", (long long)st.st_size, resident);
  long pagesPerChunk = CHUNK_BYTES / page, printed = 0;
  for (long c = 0; c * pagesPerChunk < pages; c++) {
    for (long i = c * pagesPerChunk; i < pages && i < (c + 1) * pagesPerChunk; i++) {
      if (vec[i] & 1) { printf(printed++ ? ",%ld" : "%ld", c); break; }
    }
  }
  printf("%s %s\n", printed ? "" : "-", path);
  munmap(map, st.st_size);
  free(vec);
  return 0;
}

int main(int argc, char **argv) {
  long page = sysconf(_SC_PAGESIZE);
  int failed = 0;
  for (int i = 1; i < argc; i++) failed |= report(argv[i], page);
  return failed;
}
