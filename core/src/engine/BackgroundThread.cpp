#include "engine/BackgroundThread.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <time.h>

namespace moodsteer {

double threadCpuNow() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void lowerOwnPriority(int by) {
    const pid_t tid = gettid();
    errno = 0;
    const int now = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (errno != 0) return;
    setpriority(PRIO_PROCESS, static_cast<id_t>(tid), std::min(19, now + by));
}

} // namespace moodsteer
