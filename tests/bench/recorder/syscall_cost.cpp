// CPU nanoseconds per call of an unrelated syscall (getppid) and of a 1-byte non-tty read
// (/dev/zero), for taprec_bench.py to compare with the recorder off and on.
//
// One figure from one loop is at the mercy of a loaded machine, so the process pins itself
// to one CPU and measures many short rounds, alternating the two loops, each timed with the
// thread's CPU clock (time the thread is descheduled does not count). It prints the median
// of the rounds (the figure) and the lowest and highest quartile (the spread).
//   tap_bench_syscall_cost [CALLS_PER_ROUND [ROUNDS [CPU]]]
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

double thread_cpu_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Spread {
  double median, q1, q3;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  return {at(0.5), at(0.25), at(0.75)};
}

}  // namespace

int main(int argc, char** argv) {
  long calls = argc > 1 ? std::atol(argv[1]) : 100'000;
  long rounds = argc > 2 ? std::atol(argv[2]) : 41;
  int cpu = argc > 3 ? std::atoi(argv[3]) : -1;
  if (calls <= 0 || rounds <= 0) {
    std::fprintf(stderr, "tap_bench_syscall_cost: error: usage: [CALLS_PER_ROUND [ROUNDS [CPU]]]\n");
    return 2;
  }
  if (cpu < 0) cpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::perror("tap_bench_syscall_cost: error: pin to a CPU");
    return 1;
  }
  int fd = open("/dev/zero", O_RDONLY);
  if (fd < 0) {
    std::perror("tap_bench_syscall_cost: error: open /dev/zero");
    return 1;
  }
  std::vector<double> getppid_ns, read_ns;
  char c;
  for (long r = 0; r < rounds; ++r) {
    double t0 = thread_cpu_ns();
    for (long i = 0; i < calls; ++i) syscall(SYS_getppid);
    double t1 = thread_cpu_ns();
    for (long i = 0; i < calls; ++i) {
      if (read(fd, &c, 1) != 1) return 1;
    }
    double t2 = thread_cpu_ns();
    getppid_ns.push_back((t1 - t0) / static_cast<double>(calls));
    read_ns.push_back((t2 - t1) / static_cast<double>(calls));
  }
  close(fd);
  Spread g = spread(getppid_ns), rd = spread(read_ns);
  std::printf("getppid_ns %.1f\ngetppid_q1 %.1f\ngetppid_q3 %.1f\n", g.median, g.q1, g.q3);
  std::printf("read_ns %.1f\nread_q1 %.1f\nread_q3 %.1f\n", rd.median, rd.q1, rd.q3);
  return 0;
}
