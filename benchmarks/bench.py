#!/usr/bin/env python
"""Time layers_lib against torch.nn on the CPU: forward + backward, float32, same thread count.

Each workload is run interleaved (layers_lib, torch, layers_lib, torch, ...) so both see the same
machine state, with a pause of ``--pause`` seconds before each switch: after a call, NumPy's
OpenBLAS threads keep spinning on the cores for about 0.1 s (and torch's OpenMP threads for a
shorter while), so without the pause each library is timed while the other's idle threads
still take its cores (measured: torch's LSTM 16.4 ms right after layers_lib's, 9.0 ms after a
0.2 s pause). Each run's time is the best of ``--inner`` repetitions, and the reported ratio is
the median over ``--rounds`` rounds of (layers_lib best / torch best); the last column gives the
range of each library's round times (torch's can move by 2x or more between rounds of one run,
which moves the ratio; the medians are printed beside it). The peak memory of one
layers_lib forward pass (tracemalloc, NumPy allocations) is printed beside the size of the input
and output, to show that no forward pass materialises more than the im2col matrix it needs.

The last lines give the geometric mean of the ratios, this machine's float32 GEMM throughput
(the best of a few ``np.matmul`` of two 2048 x 2048 matrices, on the same threads) and, for each
convolution, the FLOP rate both libraries reach as a share of it: forward, weight gradient and
input gradient are each ``2 * N * C_out * H_out * W_out * C_in/groups * kh * kw`` FLOPs.

Usage:
    python benchmarks/bench.py                 # all workloads
    python benchmarks/bench.py --only conv     # workloads whose name contains "conv"
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
import layers_lib as ll  # noqa: E402

# issue 17: every workload within 1.5x of torch, and a geometric mean of at most 1.0
FEED_FORWARD_TARGET = 1.5
SEQUENCE_TARGET = 1.5
GEOMEAN_TARGET = 1.0


def _threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas")
    except Exception:  # threadpoolctl missing: NumPy's BLAS uses every core by default
        return os.cpu_count() or 1


def _kernels() -> str:
    """Which instruction set each library's kernels use here: OpenBLAS picks its kernels for the
    CPU it recognises (0.3.31 takes a Zen 5 for a Haswell, AVX2 only, and its float32 GEMM then
    runs at half the speed of its AVX-512 kernels there), torch picks its own."""
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i['version']} {i.get('architecture')} kernels"
                         for i in threadpool_info() if i.get("user_api") == "blas")
    except Exception:
        blas = "unknown"
    flags = ""
    if Path("/proc/cpuinfo").exists():
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("flags")), "")
    avx512 = "yes" if " avx512f" in flags else "no" if flags else "unknown"
    return (f"kernels: numpy's BLAS {blas or 'unknown'}; torch {torch.backends.cpu.get_cpu_capability()}; "
            f"the CPU has AVX-512: {avx512}")


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


def inputs(name, shapes, rng) -> list[np.ndarray]:
    """A workload's float32 inputs; MultiheadAttention gets one array three times (self-attention,
    as in a transformer block)."""
    xs = [rng.normal(size=s).astype(np.float32) for s in shapes]
    return [xs[0]] * 3 if name.startswith("Multihead") else xs


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


def gemm_peak_flops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-product throughput (FLOP/s): the best of ``repeats`` products
    of two ``size x size`` matrices with ``np.matmul``."""
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=(size, size)).astype(np.float32) for _ in range(2))
    a @ b  # warm-up
    return 2 * size**3 / best_of(np.matmul, repeats, a, b)


def conv_flops(module, x_shape) -> float | None:
    """Forward + weight gradient + input gradient of a Conv2d on ``x_shape``; None for other layers."""
    if not isinstance(module, ll.Conv2d):
        return None
    n, _, h, w = x_shape
    (kh, kw), (sh, sw), (dh, dw) = module.kernel_size, module.stride, module.dilation
    (top, bottom), (left, right) = module._pads
    ho = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    wo = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    return 3 * 2 * n * module.out_channels * ho * wo * module.in_channels // module.groups * kh * kw


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
    parser.add_argument("--pause", type=float, default=0.25,
                        help="seconds to wait before timing each library (the other's threads go idle)")
    args = parser.parse_args(argv)

    threads = _threads()
    torch.set_num_threads(threads)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"threads {threads}")
    print(_kernels())
    header = (f"{'workload':<40} {'layers_lib':>11} {'torch':>9} {'ratio':>6} {'target':>6}  "
              f"{'peak fwd MB':>11}  {'verdict':<11}  rounds' range: layers_lib | torch")
    print(header)
    print("-" * len(header))
    failures = 0
    rng = np.random.default_rng(0)
    all_ratios, conv_rates = [], []
    for name, target, make_ll, make_torch, shapes in workloads():
        if args.only.lower() not in name.lower():
            continue
        m_ll, m_t = make_ll(np.random.default_rng(0)), make_torch()
        xs = inputs(name, shapes, rng)
        y = _first(m_ll(*xs))
        dy = rng.normal(size=y.shape).astype(np.float32)
        xts = [torch.tensor(x, requires_grad=True) for x in xs]
        dyt = torch.tensor(dy)
        run_ll(m_ll, xs, dy)
        run_torch(m_t, xts, dyt)  # warm-up both
        ratios, t_ll, t_t = [], [], []
        for _ in range(args.rounds):
            time.sleep(args.pause)
            a = best_of(run_ll, args.inner, m_ll, xs, dy)
            time.sleep(args.pause)
            b = best_of(run_torch, args.inner, m_t, xts, dyt)
            ratios.append(a / b)
            t_ll.append(a)
            t_t.append(b)
        ratio = statistics.median(ratios)
        all_ratios.append(ratio)
        flops = conv_flops(m_ll, shapes[0])
        if flops is not None:
            conv_rates.append((name, flops / statistics.median(t_ll), flops / statistics.median(t_t)))
        peak = peak_forward_bytes(m_ll, xs) / 2**20
        ok = ratio <= target
        failures += not ok
        print(f"{name:<40} {statistics.median(t_ll) * 1e3:9.2f}ms {statistics.median(t_t) * 1e3:7.2f}ms "
              f"{ratio:6.2f} {target:6.1f}  {peak:11.1f}  {'ok' if ok else 'OVER TARGET':<11}  "
              f"{min(t_ll) * 1e3:.1f}-{max(t_ll) * 1e3:.1f} | {min(t_t) * 1e3:.1f}-{max(t_t) * 1e3:.1f} ms",
              flush=True)
    if all_ratios:
        geomean = math.exp(statistics.fmean(math.log(r) for r in all_ratios))
        ok = geomean <= GEOMEAN_TARGET
        failures += not ok
        print(f"{'geometric mean of the ratios':<40} {'':>11} {'':>9} {geomean:6.2f} {GEOMEAN_TARGET:6.1f}  "
              f"{'':>11}  {'ok' if ok else 'OVER TARGET'}")
    if conv_rates:
        peak = gemm_peak_flops()
        print(f"float32 GEMM peak (np.matmul 2048x2048, {threads} threads): {peak / 1e9:.0f} GFLOP/s")
        for name, rate_ll, rate_t in conv_rates:
            print(f"  {name:<38} layers_lib {rate_ll / 1e9:6.0f} GFLOP/s = {rate_ll / peak:4.0%} of peak, "
                  f"torch {rate_t / 1e9:6.0f} GFLOP/s = {rate_t / peak:4.0%}")
    print(f"{failures} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
