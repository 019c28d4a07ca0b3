#!/usr/bin/env python
"""Time a NumPy course library beside layers_lib and torch: numpy-ml 0.1.2 (``pip install
numpy-ml==0.1.2``), forward + backward, on the shapes of ``bench.py`` (float32 inputs).

numpy-ml is channels-last (``(N, H, W, C)`` images, ``(N, D)`` steps): its inputs are the same
numbers transposed, made once outside the timed calls. Its ``LSTM`` layer cannot be built on
Python >= 3.10 (its ``__init__`` assigns to a read-only property), so the LSTM row runs its
``LSTMCell`` over the steps, which is what ``LSTM.forward`` / ``LSTM.backward`` do; and its
``flush_gradients`` leaves the gradient accumulators at ``[]`` where a new sequence needs ``None``
(the second sequence fails), so they are put back after each one. numpy-ml 0.1.2 also imports
``collections.Hashable`` (moved to ``collections.abc`` in Python 3.10): the aliases are put back
before the import. Each round takes the best of ``--inner`` calls per library, interleaved, with a
pause of ``--pause`` seconds before each library (as in ``bench.py``: NumPy's idle OpenBLAS threads
spin for about 0.1 s after a call, and would take a core from the library timed next); the ratios
are medians over ``--rounds`` rounds, relative to torch.

Usage:
    python benchmarks/peers.py                  # every workload
    python benchmarks/peers.py --only lstm
"""

from __future__ import annotations

import argparse
import collections
import collections.abc
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import layers_lib as ll  # noqa: E402

for _name in ("Hashable", "Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))  # numpy-ml 0.1.2 predates 3.10
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # numpy-ml warns that gym/matplotlib (its RL extras) are missing
    from numpy_ml.neural_nets.layers import BatchNorm2D, Conv2D, LSTMCell  # noqa: E402


def best_of(fn, inner: int) -> float:
    best = float("inf")
    for _ in range(inner):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def _torch_step(module, xt, dyt):
    def run():
        xt.grad = None
        y = module(xt)
        (y[0] if isinstance(y, tuple) else y).backward(dyt)
    return run


def _ll_step(module, x, dy):
    def run():
        module(x)
        module.backward(dy)
    return run


def conv_workload(cin, cout, k, stride, pad, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    m_ll = ll.Conv2d(cin, cout, k, stride=stride, padding=pad, dtype=np.float32, rng=rng)
    dy = rng.normal(size=m_ll(x).shape).astype(np.float32)
    m_np = Conv2D(out_ch=cout, kernel_shape=(k, k), pad=pad, stride=stride)
    x_nhwc, dy_nhwc = _channels_last(x), _channels_last(dy)

    def run_np():
        m_np.forward(x_nhwc)
        m_np.backward(dy_nhwc)
    m_t = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=pad)
    return (_ll_step(m_ll, x, dy), _torch_step(m_t, torch.tensor(x, requires_grad=True), torch.tensor(dy)),
            run_np)


def batchnorm_workload(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    dy = rng.normal(size=shape).astype(np.float32)
    m_ll = ll.BatchNorm2d(shape[1], dtype=np.float32)
    m_np = BatchNorm2D(momentum=0.9)  # numpy-ml's momentum weights the old statistics
    x_nhwc, dy_nhwc = _channels_last(x), _channels_last(dy)

    def run_np():
        m_np.forward(x_nhwc)
        m_np.backward(dy_nhwc)
    m_t = torch.nn.BatchNorm2d(shape[1])
    return (_ll_step(m_ll, x, dy), _torch_step(m_t, torch.tensor(x, requires_grad=True), torch.tensor(dy)),
            run_np)


def lstm_workload(d_in, hidden, shape):
    rng = np.random.default_rng(0)
    n, steps, _ = shape
    x = rng.normal(size=shape).astype(np.float32)
    dy = rng.normal(size=(n, steps, hidden)).astype(np.float32)
    m_ll = ll.LSTM(d_in, hidden, dtype=np.float32, rng=rng)
    cell = LSTMCell(n_out=hidden)
    xs = [np.ascontiguousarray(x[:, t]) for t in range(steps)]

    def run_np():  # what numpy-ml's LSTM.forward / LSTM.backward do, one LSTMCell step at a time
        for t in range(steps):
            cell.forward(xs[t])
        for t in reversed(range(steps)):
            cell.backward(dy[:, t])
        cell.flush_gradients()  # forget this sequence's steps (LSTM.update does the same) ...
        dv = cell.derived_variables  # ... but flush sets the accumulators to [], which backward
        dv["dLdA_accumulator"] = dv["dLdC_accumulator"] = None  # cannot add: put back the init
    m_t = torch.nn.LSTM(d_in, hidden, batch_first=True)
    return (_ll_step(m_ll, x, dy), _torch_step(m_t, torch.tensor(x, requires_grad=True), torch.tensor(dy)),
            run_np)


WORKLOADS = [
    ("Conv2d 64->64 k3 p1 (32,64,32,32)", lambda: conv_workload(64, 64, 3, 1, 1, (32, 64, 32, 32))),
    ("Conv2d 3->32 k5 s2 p2 (64,3,64,64)", lambda: conv_workload(3, 32, 5, 2, 2, (64, 3, 64, 64))),
    ("BatchNorm2d(64) (32,64,32,32)", lambda: batchnorm_workload((32, 64, 32, 32))),
    ("LSTM 64->128 (32,50,64)", lambda: lstm_workload(64, 128, (32, 50, 64))),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--inner", type=int, default=2)
    parser.add_argument("--only", default="")
    parser.add_argument("--pause", type=float, default=0.25,
                        help="seconds of sleep before timing each library (idle BLAS threads spin)")
    args = parser.parse_args(argv)
    import numpy_ml

    version = getattr(numpy_ml, "__version__", "0.1.2")
    print(f"numpy-ml {version}, numpy {np.__version__}, torch {torch.__version__}, "
          f"torch threads {torch.get_num_threads()}")
    header = f"{'workload':<38} {'torch':>9} {'layers_lib':>15} {'numpy-ml':>17}"
    print(header)
    print("-" * len(header))
    for name, make in WORKLOADS:
        if args.only.lower() not in name.lower():
            continue
        runs = make()
        for run in runs:
            run()  # warm-up (and numpy-ml's parameter initialisation on the first call)
        times = [[] for _ in runs]
        for _ in range(args.rounds):
            for k, run in enumerate(runs):
                time.sleep(args.pause)
                times[k].append(best_of(run, args.inner))
        t_ll, t_t, t_np = (statistics.median(t) for t in times)
        r_ll = statistics.median(a / b for a, b in zip(times[0], times[1], strict=True))
        r_np = statistics.median(a / b for a, b in zip(times[2], times[1], strict=True))
        print(f"{name:<38} {t_t * 1e3:7.1f}ms {t_ll * 1e3:7.1f}ms {r_ll:5.2f}x "
              f"{t_np * 1e3:8.1f}ms {r_np:6.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
