#!/usr/bin/env python
"""Time layers_lib's convolution and pooling layers against torch.nn (float32, forward + backward).

A quick helper for the conv/pool fast paths; ``benchmarks/bench.py`` is the project's full
benchmark. Both libraries use the same number of threads (NumPy's BLAS threads); the runs are
interleaved so both see the same machine state, each timing is the best of ``--inner`` calls and
the ratio printed is the median over ``--rounds`` rounds of (layers_lib best / torch best).

On a busy machine wall-clock times mostly measure the other processes; ``--threads 1
--cpu-time`` then compares the CPU time of the calling thread (both libraries on one thread),
which load barely changes.

Usage:
    python benchmarks/bench_conv_pool.py [--rounds 5] [--inner 5] [--only conv] [--forward]
    python benchmarks/bench_conv_pool.py --threads 1 --cpu-time
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

import layers_lib as ll

TARGET = 2.0


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas")
    except Exception:  # no threadpoolctl: OpenBLAS uses every core by default
        return os.cpu_count() or 1


def workloads():
    f32 = np.float32
    return [
        ("Conv2d 64->64 k3 p1 (32,64,32,32)",
         lambda r: ll.Conv2d(64, 64, 3, padding=1, dtype=f32, rng=r),
         lambda: torch.nn.Conv2d(64, 64, 3, padding=1), (32, 64, 32, 32)),
        ("Conv2d 3->32 k5 s2 p2 (64,3,64,64)",
         lambda r: ll.Conv2d(3, 32, 5, stride=2, padding=2, dtype=f32, rng=r),
         lambda: torch.nn.Conv2d(3, 32, 5, stride=2, padding=2), (64, 3, 64, 64)),
        ("MaxPool2d(2) (32,64,32,32)", lambda r: ll.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2),
         (32, 64, 32, 32)),
        ("MaxPool2d(3,2,1) (32,64,32,32)", lambda r: ll.MaxPool2d(3, 2, 1),
         lambda: torch.nn.MaxPool2d(3, 2, 1), (32, 64, 32, 32)),
        ("AvgPool2d(2) (32,64,32,32)", lambda r: ll.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2),
         (32, 64, 32, 32)),
        ("AdaptiveAvgPool2d(1) (32,64,32,32)", lambda r: ll.AdaptiveAvgPool2d(1),
         lambda: torch.nn.AdaptiveAvgPool2d(1), (32, 64, 32, 32)),
        ("ConvTranspose2d 64->32 k4 s2 p1 (32,64,16,16)",
         lambda r: ll.ConvTranspose2d(64, 32, 4, stride=2, padding=1, dtype=f32, rng=r),
         lambda: torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), (32, 64, 16, 16)),
    ]


def best_of(fn, inner: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(inner):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def runners(module, twin, x, rng, forward_only: bool):
    """Two argument-free callables: one forward (+ backward) pass of each library."""
    dy = rng.normal(size=module(x).shape).astype(np.float32)
    xt, dyt = torch.tensor(x, requires_grad=True), torch.tensor(dy)

    def run_ll():
        module(x)
        if not forward_only:
            module.backward(dy)

    def run_torch():
        if forward_only:
            with torch.no_grad():
                twin(xt)
        else:
            xt.grad = None
            twin(xt).backward(dyt)

    return run_ll, run_torch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--inner", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--forward", action="store_true", help="time the forward pass only")
    parser.add_argument("--threads", type=int, default=0, help="threads for both (default: BLAS threads)")
    parser.add_argument("--cpu-time", action="store_true", help="CPU time of this thread (needs --threads 1)")
    args = parser.parse_args(argv)
    if args.cpu_time and args.threads != 1:
        parser.error("--cpu-time measures one thread: use it with --threads 1")
    threads = args.threads or blas_threads()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads, user_api="blas")
    torch.set_num_threads(threads)
    clock = time.thread_time if args.cpu_time else time.perf_counter
    print(f"numpy {np.__version__}, torch {torch.__version__}, threads {threads}, "
          f"{'forward only' if args.forward else 'forward + backward'}, float32, "
          f"{'CPU time' if args.cpu_time else 'wall-clock time'}")
    rng = np.random.default_rng(0)
    over = 0
    for name, make_ll, make_torch, shape in workloads():
        if args.only.lower() not in name.lower():
            continue
        run_ll, run_torch = runners(make_ll(np.random.default_rng(0)), make_torch(),
                                    rng.normal(size=shape).astype(np.float32), rng, args.forward)
        run_ll()
        run_torch()  # warm-up both
        ratios, t_ll, t_t = [], [], []
        for _ in range(args.rounds):
            a, b = best_of(run_ll, args.inner, clock), best_of(run_torch, args.inner, clock)
            ratios.append(a / b)
            t_ll.append(a)
            t_t.append(b)
        ratio = statistics.median(ratios)
        over += ratio > TARGET
        print(f"{name:<46} layers_lib {min(t_ll) * 1e3:8.2f} ms  torch {min(t_t) * 1e3:8.2f} ms  "
              f"ratio {ratio:5.2f}  {'ok' if ratio <= TARGET else 'OVER TARGET'}", flush=True)
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
