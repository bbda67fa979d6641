"""Run one command and print its wall time, CPU time, peak memory and exit code as JSON.

    python bench/spawn.py COMMAND [ARGS...]
    →   {"seconds": 0.12, "cpu": 0.11, "peak_kb": 41236, "code": 0}

CPU time is the child's user + system seconds (its own accounting, from wait4): on a
machine shared with other work it moves far less than wall time does.

A separate small process does the spawning because Linux carries the peak resident
size of a process across exec: a child forked (or vforked) from the big benchmark
process would report that process's memory as its own peak. This launcher holds only
a few MB, and wait4 gives the one child's own peak. The command's output goes to
/dev/null.
"""
import json
import os
import sys
import time


def main(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_kb": usage.ru_maxrss,
                      "code": os.waitstatus_to_exitcode(status)}))


if __name__ == "__main__":
    main(sys.argv[1:])
