"""Issue 17 part 5, the lead on server CPU per request: does the cyclic GC's cost grow with the
cached tenant enforcers? An in-process experiment, no database, a few minutes.

Run from the repository root, in the venv::

    python -m bench.gc_enforcers

After the start-up ``gc.freeze()`` (as ``linli serve`` does), builds 10 or 1,000
``TenantEnforcer`` objects (400 ``p`` and 40 ``g`` rules each, a demo tenant's order of
magnitude), then times 400 synthetic "requests" (3,000 small rows of garbage with cycles each):
process CPU per request, GC pause time (gc.callbacks, wall clock), full collections, objects
the collector tracks. Each size once as the server builds them (tracked) and once with a
``gc.collect(); gc.freeze()`` after building them (the enforcers out of the collector's way).
"""

from __future__ import annotations

import gc
import time
import types
import uuid

from kernel.identity.authz import TenantEnforcer
from kernel.process import freeze_startup_heap

_gc = {"time": 0.0, "start": 0.0, "full": 0}


def _callback(phase: str, info: dict) -> None:  # type: ignore[type-arg]
    if phase == "start":
        _gc["start"] = time.perf_counter()
    else:
        _gc["time"] += time.perf_counter() - _gc["start"]
        if info["generation"] == 2:
            _gc["full"] += 1


def rules(n_p: int = 400, n_g: int = 40) -> list[types.SimpleNamespace]:
    out = [
        types.SimpleNamespace(ptype="p", v0=f"role:r{i % 12}", v1=f"plugin{i % 40}:obj{i}", v2="read")
        for i in range(n_p)
    ]
    out += [
        types.SimpleNamespace(ptype="g", v0=f"user:{uuid.uuid4()}", v1=f"role:r{i % 12}", v2="")
        for i in range(n_g)
    ]
    return out


def request() -> int:
    """A request's garbage: row-like dicts and objects referring to each other."""
    rows = []
    for i in range(3000):
        d: dict[str, object] = {"id": i, "name": "x" * 8, "vals": [i, i + 1]}
        o = types.SimpleNamespace(row=d)
        d["back"] = o
        rows.append(o)
    return len(rows)


def run(n: int, freeze_after_build: bool, reqs: int = 400) -> tuple[int, bool, float, float, int, int]:
    gc.collect()
    cache = [TenantEnforcer(uuid.uuid4(), 1, rules()) for _ in range(n)]  # type: ignore[arg-type]
    for e in cache[:10]:
        e.role_allows("r1", "plugin1:obj1", "read")
    if freeze_after_build:
        gc.collect()
        gc.freeze()
    _gc["time"], _gc["full"] = 0.0, 0
    c0 = time.process_time()
    for _ in range(reqs):
        request()
    cpu = time.process_time() - c0
    tracked = len(gc.get_objects())
    result = (n, freeze_after_build, cpu / reqs * 1000, _gc["time"] / reqs * 1000, int(_gc["full"]), tracked)
    gc.unfreeze()
    del cache
    gc.collect()
    return result


def main() -> None:
    gc.callbacks.append(_callback)
    freeze_startup_heap()
    print("enforcers  frozen  CPU ms/req  GC pause ms/req (wall)  full collections  tracked objects")
    for n in (10, 1000):
        for frozen in (False, True):
            n_, fz, cpu, pause, full, tracked = run(n, frozen)
            print(f"{n_:9d}  {fz!s:>6}  {cpu:10.2f}  {pause:22.2f}  {full:16d}  {tracked:15d}")


if __name__ == "__main__":
    main()
