"""Peak memory of a whole process tree, as the system sees it (run on Linux).

tracemalloc sees Python's own allocations only: SQLite's page cache, a Rust
reader's buffers and a helper process are invisible to it.  `peak_tree_rss` runs a
command and samples the resident memory of it and every process under it (from
/proc), and takes the process's own peak (VmHWM) that it prints at its end: the
larger of the two is reported.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

SAMPLE_S = 0.01


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants now."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(tree.get(pid, ()))
    return total


# Printed by a measured script as its last line: its own peak (VmHWM, per process image;
# the kernel's ru_maxrss would carry the benchmark's own size over fork and exec).
PRINT_OWN_PEAK = (
    "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))"
)


def peak_tree_rss(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """(peak resident bytes of the process tree, its stdout) of running `argv`, whose
    last line of output is `PRINT_OWN_PEAK`'s: the larger of that and the tree's
    resident memory sampled every `SAMPLE_S` (which sees helper processes too)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(SAMPLE_S)
    assert process.stdout is not None
    out = process.stdout.read()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, argv, out)
    own = int(out.split()[-1]) * 1024
    return max(peak, own), out
