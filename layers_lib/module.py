"""The core every layer builds on: :class:`Parameter`, :class:`Module` and :class:`Sequential`.

The design follows PyTorch's ``torch.nn`` so that what a reader learns here carries over:

* a :class:`Parameter` holds ``data`` and the gradient ``grad`` accumulated by ``backward``;
* a :class:`Module` finds its parameters and children by walking its attributes, names them with
  dotted paths (``"0.weight"``, ``"out_proj.bias"``) and switches them between training and
  evaluation mode;
* running statistics (BatchNorm's ``running_mean``) are plain arrays, not parameters, so an
  optimizer never steps them.

Unlike PyTorch there is no autograd: every layer writes its own ``backward``. ``forward`` stores
what ``backward`` needs in ``self._cache`` (for a layer built on a pure ``*_forward`` core, that
core's cache ``NamedTuple``, unwrapped); ``backward(dy)`` returns the gradient with respect to the
input and *adds* the parameter gradients into each ``Parameter.grad``. ``layers_lib/README.md``
maps the files and states this contract in full.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """A trainable array and its gradient.

    Args:
        data: the initial value; copied into a new array.

    Attributes:
        data: the value (an ``ndarray``; may be reassigned).
        grad: ``dL/d(data)``, same shape as ``data``; starts at zero and is *accumulated* by
            ``backward`` until :meth:`Module.zero_grad` resets it.

    Examples:
        >>> p = Parameter(np.ones((2, 3)))
        >>> p.shape, p.grad.sum()
        ((2, 3), np.float64(0.0))
    """

    def __init__(self, data):
        self.data = np.array(data)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer.

    Subclasses set parameters and sub-modules as attributes in ``__init__`` and define
    ``forward(x)`` and ``backward(dy)``. ``module(x)`` is the same as ``module.forward(x)``.

    Attributes:
        training: ``True`` in training mode (the default), ``False`` after :meth:`eval`.
    """

    def __init__(self):
        self.training = True
        self._cache = None

    # -- calling -----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} does not define forward()")

    def backward(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} does not define backward()")

    def _saved(self):
        """Return what ``forward`` cached, or raise a clear error if it has not run."""
        if getattr(self, "_cache", None) is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "run a forward pass first, it stores what the backward pass needs"
            )
        return self._cache

    # -- the tree of modules and parameters ---------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` pairs in registration order, as PyTorch does."""
        for name, value in vars(self).items():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(value, Parameter):
                yield full, value
            elif isinstance(value, Module):
                yield from value.named_parameters(full)

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant; returns ``self``."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train() expected a bool, got {mode!r}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``training = False``) on this module and every descendant."""
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """A chain of modules: ``forward`` runs them in order, ``backward`` in reverse.

    Children are named ``"0"``, ``"1"``, … so parameter names match PyTorch's
    (``"0.weight"``, ``"2.bias"``). Index it like a list; a slice gives a new ``Sequential``
    sharing the same modules.

    Examples:
        >>> import layers_lib as ll
        >>> net = ll.Sequential(ll.Linear(4, 3, rng=np.random.default_rng(0)), ll.ReLU())
        >>> [name for name, _ in net.named_parameters()]
        ['0.weight', '0.bias']
        >>> net(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential expected Module arguments, got {type(module).__name__} at position {i}"
                )
            setattr(self, str(i), module)

    def __len__(self) -> int:
        return sum(1 for _ in self.named_children())

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def __getitem__(self, index):
        modules = list(self.children())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def backward(self, dy):
        for module in reversed(list(self)):
            dy = module.backward(dy)
        return dy

    def summary(self, input_shape, dtype=np.float64) -> str:
        """A table of each layer's output shape and parameter count.

        Runs one forward pass on zeros of ``input_shape`` in evaluation mode (so running
        statistics and dropout masks are untouched) and restores the previous modes.

        Examples:
            >>> import layers_lib as ll
            >>> net = ll.Sequential(ll.Conv2d(1, 16, 3, padding=1), ll.ReLU(), ll.MaxPool2d(2))
            >>> print(net.summary((64, 1, 28, 28)))
            Layer                                            Output shape    Params
            -----------------------------------------------------------------------
            input                                            64×1×28×28           0
            0  Conv2d(1, 16, kernel_size=(3, 3), stride=(1…  64×16×28×28        160
            1  ReLU()                                        64×16×28×28          0
            2  MaxPool2d(kernel_size=2, stride=2, padding=…  64×16×14×14          0
            -----------------------------------------------------------------------
            Total parameters: 160
        """
        modes = [(m, m.training) for _, m in self.named_modules()]
        self.eval()
        try:
            x = np.zeros(input_shape, dtype=dtype)
            rows = [("input", _shape_str(x.shape), 0)]
            for i, module in enumerate(self):
                x = module(x)
                shape = x[0].shape if isinstance(x, tuple) else x.shape
                name = repr(module).splitlines()[0]
                name = name if len(name) <= 44 else name[:43] + "…"
                rows.append((f"{i:<2} {name}", _shape_str(shape), module.num_parameters()))
        finally:
            for module, mode in modes:
                module.training = mode
        w_name = max(len("Layer"), *(len(r[0]) for r in rows))
        w_shape = max(len("Output shape"), *(len(r[1]) for r in rows))
        lines = [f"{'Layer':<{w_name}}  {'Output shape':<{w_shape}}  {'Params':>8}"]
        lines.append("-" * len(lines[0]))
        lines += [f"{name:<{w_name}}  {shape:<{w_shape}}  {n:>8,}" for name, shape, n in rows]
        lines += ["-" * len(lines[0]), f"Total parameters: {self.num_parameters():,}"]
        return "\n".join(lines)


def _shape_str(shape) -> str:
    return "×".join(str(s) for s in shape)


# -- helpers shared by the layer files ------------------------------------------------------------
def uniform_init(rng, shape, bound, dtype=np.float64) -> np.ndarray:
    """Draw ``U(-bound, bound)``: PyTorch's default for Linear, Conv and RNN weights and biases
    (``kaiming_uniform_(a=sqrt(5))`` reduces to ``bound = 1/sqrt(fan_in)``)."""
    rng = np.random.default_rng() if rng is None else rng
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def fan_in_bound(fan_in: int) -> float:
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


def scratch(workspace: dict | None, key: str, shape, dtype) -> np.ndarray:
    """A scratch array: reused from ``workspace`` when it has the right shape and dtype (a layer
    keeps large temporaries between calls: a fresh array of many MB costs page faults)."""
    if workspace is None:
        return np.empty(shape, dtype=dtype)
    buf = workspace.get(key)
    if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
        buf = workspace[key] = np.empty(shape, dtype=dtype)
    return buf


# -- splitting independent work between threads ----------------------------------------------------
_THREADS = max(1, min(os.cpu_count() or 1, 8))
_POOL: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    global _POOL
    _POOL = None  # a forked child has none of the parent's threads: it starts its own pool


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def in_blocks(fn, n: int, per_block: int) -> list:
    """Run ``fn(start, stop)`` over blocks of ``per_block`` of ``n`` samples, the blocks split
    between ``_THREADS`` threads, one per core (at most 8): NumPy releases the GIL inside its
    loops, so the threads run at once, as PyTorch splits its kernels between its threads.
    Returns the results of each thread's blocks (a list per thread, in order); a single block
    runs in the calling thread."""
    global _POOL
    per_block = max(1, per_block)
    blocks = [(a, min(a + per_block, n)) for a in range(0, n, per_block)]
    parts = min(_THREADS, len(blocks))

    def run(k):
        return [fn(a, b) for a, b in blocks[k::parts]]

    if parts <= 1:
        return [run(0)]
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_THREADS, thread_name_prefix="layers_lib")
    return list(_POOL.map(run, range(parts)))
