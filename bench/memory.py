"""Peak resident memory of a block of code, shared by the benchmarks."""

from __future__ import annotations

import resource
from pathlib import Path


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


class PeakRSS:
    """Highest resident memory above the level at entry, sampled every 2 ms by a thread.

    ru_maxrss cannot separate the pipeline from loading the data before it; sampling can."""

    def __enter__(self) -> PeakRSS:
        import gc
        import threading

        gc.collect()
        self.base = _current_rss_mib()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _current_rss_mib())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _current_rss_mib())

    @property
    def extra(self) -> float:
        return self.peak - self.base


def peak_rss_mib(pids: list[int]) -> float:
    """The largest high-water mark (VmHWM) of other processes, such as a server's workers."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak / 1024
