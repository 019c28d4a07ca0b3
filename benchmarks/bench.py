#!/usr/bin/env python
"""Time layers_lib against torch.nn on the CPU: forward + backward, float32, same thread count.

Each workload is run interleaved (layers_lib, torch, layers_lib, torch, ...) so both see the same
machine state; each run's time is the best of ``--inner`` repetitions, and the reported ratio is
the median over ``--rounds`` rounds of (layers_lib best / torch best). The peak memory of one
layers_lib forward pass (tracemalloc, NumPy allocations) is printed beside the size of the input
and output, to show that no forward pass materialises more than the im2col matrix it needs.

Usage:
    python benchmarks/bench.py                 # all workloads
    python benchmarks/bench.py --only conv     # workloads whose name contains "conv"
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np
import torch

import layers_lib as ll

FEED_FORWARD_TARGET = 2.0
SEQUENCE_TARGET = 3.0


def _threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas")
    except Exception:  # threadpoolctl missing: NumPy's BLAS uses every core by default
        return os.cpu_count() or 1


def workloads():
    """(name, target, make_ll, make_torch, input shapes) for every benchmarked layer."""
    f32 = np.float32
    return [
        ("Conv2d 64->64 k3 p1 (32,64,32,32)", FEED_FORWARD_TARGET,
         lambda r: ll.Conv2d(64, 64, 3, padding=1, dtype=f32, rng=r),
         lambda: torch.nn.Conv2d(64, 64, 3, padding=1), [(32, 64, 32, 32)]),
        ("Conv2d 3->32 k5 s2 p2 (64,3,64,64)", FEED_FORWARD_TARGET,
         lambda r: ll.Conv2d(3, 32, 5, stride=2, padding=2, dtype=f32, rng=r),
         lambda: torch.nn.Conv2d(3, 32, 5, stride=2, padding=2), [(64, 3, 64, 64)]),
        ("MaxPool2d(2) (32,64,32,32)", FEED_FORWARD_TARGET,
         lambda r: ll.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), [(32, 64, 32, 32)]),
        ("MaxPool2d(3,2,1) (32,64,32,32)", FEED_FORWARD_TARGET,
         lambda r: ll.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), [(32, 64, 32, 32)]),
        ("BatchNorm2d(64) (32,64,32,32)", FEED_FORWARD_TARGET,
         lambda r: ll.BatchNorm2d(64, dtype=f32), lambda: torch.nn.BatchNorm2d(64), [(32, 64, 32, 32)]),
        ("Linear 1024->1024 (256,1024)", FEED_FORWARD_TARGET,
         lambda r: ll.Linear(1024, 1024, dtype=f32, rng=r), lambda: torch.nn.Linear(1024, 1024),
         [(256, 1024)]),
        ("LSTM 64->128 (32,50,64)", SEQUENCE_TARGET,
         lambda r: ll.LSTM(64, 128, dtype=f32, rng=r), lambda: torch.nn.LSTM(64, 128, batch_first=True),
         [(32, 50, 64)]),
        ("GRU 64->128 (32,50,64)", SEQUENCE_TARGET,
         lambda r: ll.GRU(64, 128, dtype=f32, rng=r), lambda: torch.nn.GRU(64, 128, batch_first=True),
         [(32, 50, 64)]),
        ("MultiheadAttention E128 h4 (16,64,128)", SEQUENCE_TARGET,
         lambda r: ll.MultiheadAttention(128, 4, dtype=f32, rng=r),
         lambda: torch.nn.MultiheadAttention(128, 4, batch_first=True), [(16, 64, 128)] * 3),
    ]


def _first(y):
    return y[0] if isinstance(y, tuple) else y


def run_ll(module, xs, dy):
    y = _first(module(*xs))
    module.backward(dy)
    return y


def run_torch(module, xs, dy):
    for x in xs:
        x.grad = None
    y = module(*xs)
    if isinstance(y, tuple):
        y = y[0]
    y.backward(dy)
    return y


def best_of(fn, inner: int, *args) -> float:
    best = float("inf")
    for _ in range(inner):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def peak_forward_bytes(module, xs) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    module(*xs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)

    threads = _threads()
    torch.set_num_threads(threads)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"threads {threads}")
    header = (f"{'workload':<40} {'layers_lib':>11} {'torch':>9} {'ratio':>6} {'target':>6}  "
              f"{'peak fwd MB':>11}  verdict")
    print(header)
    print("-" * len(header))
    failures = 0
    rng = np.random.default_rng(0)
    for name, target, make_ll, make_torch, shapes in workloads():
        if args.only.lower() not in name.lower():
            continue
        m_ll, m_t = make_ll(np.random.default_rng(0)), make_torch()
        xs = [rng.normal(size=s).astype(np.float32) for s in shapes]
        if len(xs) == 3 and name.startswith("Multihead"):
            xs = [xs[0], xs[0], xs[0]]  # self-attention, as in a transformer block
        y = _first(m_ll(*xs))
        dy = rng.normal(size=y.shape).astype(np.float32)
        xts = [torch.tensor(x, requires_grad=True) for x in xs]
        dyt = torch.tensor(dy)
        run_ll(m_ll, xs, dy)
        run_torch(m_t, xts, dyt)  # warm-up both
        ratios, t_ll, t_t = [], [], []
        for _ in range(args.rounds):
            a = best_of(run_ll, args.inner, m_ll, xs, dy)
            b = best_of(run_torch, args.inner, m_t, xts, dyt)
            ratios.append(a / b)
            t_ll.append(a)
            t_t.append(b)
        ratio = statistics.median(ratios)
        peak = peak_forward_bytes(m_ll, xs) / 2**20
        ok = ratio <= target
        failures += not ok
        print(f"{name:<40} {statistics.median(t_ll) * 1e3:9.2f}ms {statistics.median(t_t) * 1e3:7.2f}ms "
              f"{ratio:6.2f} {target:6.1f}  {peak:11.1f}  {'ok' if ok else 'OVER TARGET'}", flush=True)
    print(f"{failures} workload(s) over target")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
