// CPU nanoseconds per call of an unrelated syscall (getppid) and of a 1-byte non-tty read
// (/dev/zero), for taprec_bench.py to compare with the recorder off and on.
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

double cpu_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 2'000'000;
  double t0 = cpu_ns();
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
  double t1 = cpu_ns();
  int fd = open("/dev/zero", O_RDONLY);
  char c;
  for (long i = 0; i < n; ++i) {
    if (read(fd, &c, 1) != 1) return 1;
  }
  double t2 = cpu_ns();
  close(fd);
  std::printf("getppid_ns %.1f\nread_ns %.1f\n", (t1 - t0) / n, (t2 - t1) / n);
  return 0;
}
