"""Residual: PyTorch parity (identity and projection shortcuts, dense and convolutional blocks,
stacks), central differences, bad input, fuzzing; and the chapter's figures (viz.residual)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_compare import compare_with_torch

import layers_lib as ll
from layers_lib import viz

FUZZ = settings(max_examples=30, deadline=None)


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


class TorchResidual(torch.nn.Module):
    """The torch twin: body(x) + (x or shortcut(x)), attributes named as in ll.Residual."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


def _dense_pair(d, hidden, out=None, projection=False, bias=True):
    out = d if out is None else out
    ll_body = ll.Sequential(ll.Linear(d, hidden, bias=bias), ll.Tanh(), ll.Linear(hidden, out, bias=bias))
    t_body = torch.nn.Sequential(torch.nn.Linear(d, hidden, bias=bias), torch.nn.Tanh(),
                                 torch.nn.Linear(hidden, out, bias=bias))
    if projection:
        return (ll.Residual(ll_body, ll.Linear(d, out, bias=False)),
                TorchResidual(t_body, torch.nn.Linear(d, out, bias=False)))
    return ll.Residual(ll_body), TorchResidual(t_body)


# -- PyTorch parity ---------------------------------------------------------------------------------
@pytest.mark.parametrize("d,hidden,shape", [(4, 6, (5,)), (3, 3, (2, 7)), (1, 2, (4,)), (5, 2, ())])
@pytest.mark.parametrize("bias", [True, False])
def test_identity_shortcut_matches_torch(d, hidden, shape, bias):
    block, twin = _dense_pair(d, hidden, bias=bias)
    y = compare_with_torch(block, twin, normal(*shape, d, seed=d), steps=2)
    assert y.shape == shape + (d,)


@pytest.mark.parametrize("d,out", [(3, 5), (6, 2), (4, 4)])
def test_projection_shortcut_matches_torch(d, out):
    block, twin = _dense_pair(d, 7, out=out, projection=True)
    y = compare_with_torch(block, twin, normal(6, d, seed=out), steps=2)
    assert y.shape == (6, out)
    assert [n for n, _ in block.named_parameters()][-1] == "shortcut.weight"


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("c_in,c_out,stride,size", [(2, 4, 2, (7, 6)), (3, 3, 1, (5, 5)), (2, 3, 2, (4, 8))])
def test_convolutional_block_with_batchnorm_matches_torch(c_in, c_out, stride, size, train):
    """A ResNet block: conv-BN-ReLU-conv-BN branch; a strided 1×1 conv + BN projection when the
    shape changes, the identity otherwise; ReLU after the addition."""
    def body(nn):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                             nn.BatchNorm2d(c_out), nn.ReLU(),
                             nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out))

    needs_projection = stride != 1 or c_in != c_out
    ll_short = ll.Sequential(ll.Conv2d(c_in, c_out, 1, stride=stride, bias=False), ll.BatchNorm2d(c_out)) \
        if needs_projection else None
    t_short = torch.nn.Sequential(torch.nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                  torch.nn.BatchNorm2d(c_out)) if needs_projection else None
    block = ll.Sequential(ll.Residual(body(ll), ll_short), ll.ReLU())
    twin = torch.nn.Sequential(TorchResidual(body(torch.nn), t_short), torch.nn.ReLU())
    # parameters that are not 1 and 0, and (in eval mode) running statistics that are not 0 and 1
    for p in twin.parameters():
        torch.nn.init.uniform_(p, 0.5, 1.5) if p.ndim == 1 else None
    x = normal(3, c_in, *size, seed=c_out)
    if not train:
        twin.double().train()
        twin(torch.tensor(x))  # one training pass fills the running statistics ...
        t_bns = [m for m in twin.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        ll_bns = [m for _, m in block.named_modules() if isinstance(m, ll.BatchNorm2d)]
        for tm, lm in zip(t_bns, ll_bns, strict=True):
            lm.running_mean = tm.running_mean.numpy().copy()  # ... which the copy must start from
            lm.running_var = tm.running_var.numpy().copy()
    compare_with_torch(block, twin, x, train=train, steps=2)


def test_a_stack_of_blocks_matches_torch():
    pairs = [_dense_pair(4, 5) for _ in range(3)]
    net = ll.Sequential(*[p[0] for p in pairs], ll.Linear(4, 2))
    twin = torch.nn.Sequential(*[p[1] for p in pairs], torch.nn.Linear(4, 2))
    compare_with_torch(net, twin, normal(6, 4, seed=9), steps=3)


# -- central differences ----------------------------------------------------------------------------
@pytest.mark.parametrize("projection", [False, True])
def test_gradcheck(projection):
    rng = np.random.default_rng(1)
    out = 5 if projection else 3
    body = ll.Sequential(ll.Linear(3, 4, rng=rng), ll.Tanh(), ll.Linear(4, out, rng=rng))
    block = ll.Residual(body, ll.Linear(3, 5, bias=False, rng=rng) if projection else None)
    errors = ll.check_gradients(block, normal(4, 3, seed=2))
    assert set(errors) == {"input", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"} | (
        {"shortcut.weight"} if projection else set())
    assert max(errors.values()) < 1e-6, errors  # the course's rule (appendix: checking gradients)


def test_the_input_gradient_is_dy_plus_the_branch_gradient():
    """The defining property, checked against the branch run on its own (not against Residual)."""
    rng = np.random.default_rng(3)
    body = ll.Sequential(ll.Linear(5, 5, rng=rng), ll.Sigmoid())
    x, dy = normal(3, 5, seed=4), normal(3, 5, seed=5)
    body(x)
    d_branch = body.backward(dy)
    block = ll.Residual(body)
    block.zero_grad()
    block(x)
    np.testing.assert_allclose(block.backward(dy), dy + d_branch, rtol=1e-12, atol=1e-14)
    # a branch that outputs zeros: the block is the identity, forwards and backwards
    zero = ll.Residual(ll.Linear(5, 5, rng=rng))
    zero.body.weight.data[:] = 0.0
    zero.body.bias.data[:] = 0.0
    np.testing.assert_array_equal(zero(x), x)
    np.testing.assert_array_equal(zero.backward(dy), dy)


def test_modes_reach_the_branch_and_the_shortcut():
    block = ll.Residual(ll.Sequential(ll.Linear(3, 3), ll.Dropout(0.5)), ll.Sequential(ll.Dropout(0.5)))
    block.eval()
    assert all(not m.training for _, m in block.named_modules())
    x = normal(4, 3)
    np.testing.assert_array_equal(block(x), block.body[0](x) + x)  # evaluation-mode dropout is the identity
    block.train()
    assert all(m.training for _, m in block.named_modules())


def test_repr_names_the_shortcut():
    assert repr(ll.Residual(ll.ReLU())) == "Residual(\n  (body): ReLU()\n  (shortcut): identity\n)"
    text = repr(ll.Residual(ll.Linear(2, 3), ll.Linear(2, 3, bias=False)))
    assert "(shortcut): Linear(in_features=2, out_features=3, bias=False)" in text


# -- bad input --------------------------------------------------------------------------------------
def test_rejects_a_body_or_shortcut_that_is_no_module():
    with pytest.raises(TypeError, match=r"Residual expected body to be a Module, got function"):
        ll.Residual(lambda x: x)
    with pytest.raises(TypeError, match=r"Residual expected shortcut to be a Module or None .* got ndarray"):
        ll.Residual(ll.ReLU(), np.eye(3))


def test_a_shape_change_without_projection_is_refused_with_a_hint():
    block = ll.Residual(ll.Linear(4, 6))
    with pytest.raises(ValueError, match=r"Residual expected the body's output and the input \(identity "
                                         r"shortcut\) to have the same shape, got \(2, 6\) and \(2, 4\);.*"
                                         r"projection shortcut"):
        block(normal(2, 4))


def test_shapes_that_would_broadcast_are_refused():
    with pytest.raises(ValueError, match=r"got \(5, 1\) and \(5, 6\)"):
        ll.Residual(ll.Linear(6, 1))(normal(5, 6))
    with pytest.raises(ValueError, match=r"shortcut's output to have the same shape, "
                                         r"got \(5, 3\) and \(5, 1\)"):
        ll.Residual(ll.Linear(6, 3), ll.Linear(6, 1))(normal(5, 6))


def test_backward_errors():
    block = ll.Residual(ll.Linear(3, 3))
    with pytest.raises(RuntimeError, match=r"Residual.backward\(\) was called before forward\(\)"):
        block.backward(np.ones((2, 3)))
    block(normal(2, 3))
    with pytest.raises(ValueError, match=r"Residual.backward expected a gradient of shape \(2, 3\).*"
                                         r"got \(3, 2\)"):
        block.backward(np.ones((3, 2)))


@FUZZ
@given(n=st.integers(1, 4), d_in=st.integers(1, 6), d_out=st.integers(1, 6), projection=st.booleans())
def test_fuzz_shapes(n, d_in, d_out, projection):
    block = ll.Residual(ll.Linear(d_in, d_out), ll.Linear(d_in, d_out, bias=False) if projection else None)
    x = normal(n, d_in, seed=n)
    if projection or d_in == d_out:
        y = block(x)
        assert y.shape == (n, d_out)
        assert block.backward(np.ones_like(y)).shape == x.shape
    else:
        with pytest.raises(ValueError, match=r"^Residual expected"):
            block(x)


# -- the chapter's figures ----------------------------------------------------------------------------
def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=30)
    return buf.getvalue()


@pytest.mark.parametrize("projection", [None, "Linear(32, 64, bias=False)"])
def test_draw_residual_block(projection):
    fig = viz.residual.draw_residual_block(branch=("Linear", "ReLU"), projection=projection)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Linear" in texts and "ReLU" in texts and "+" in texts
    assert (projection in texts) if projection else ("identity: x" in texts)
    assert _png(fig).startswith(b"\x89PNG")
    assert min(t.get_fontsize() for t in fig.axes[0].texts + [fig.axes[0].title]) >= viz.MIN_FONT_PT
    with pytest.raises(ValueError, match="at least one layer"):
        viz.residual.draw_residual_block(branch=())


def _lines(panel):
    return [m for m in panel["marks"] if m["m"] == "line"]


def test_gradient_norm_chart_plots_each_networks_norms_on_a_log_axis():
    norms = {"plain": [1e-12, 1e-6, 1.0], "residual + BatchNorm": [0.3, 0.5, 2.0]}
    panel = viz.residual.gradient_norms_chart(norms, ylim=(1e-13, 1e1)).to_dict()
    plain, res = _lines(panel)
    assert plain["x"] == res["x"] == [1, 2, 3]  # layers counted from 1
    np.testing.assert_allclose(plain["y"], [-12, -6, 0])  # log10 of the norms
    np.testing.assert_allclose(res["y"], np.log10(norms["residual + BatchNorm"]), rtol=1e-3)
    assert [name for *_, name in panel["legend"]] == list(norms)
    assert plain.get("dash") == 1 and "dash" not in res  # told apart in greyscale too
    assert plain["c"] != res["c"]
    assert panel["y"] == [-13, 1]  # the fixed limits, in log10 units
    assert [label for _, label in panel["yt"]] == ["10⁻¹²", "10⁻⁹", "10⁻⁶", "10⁻³", "1"]
    np.testing.assert_allclose([v for v, _ in panel["yt"]], [-12, -9, -6, -3, 0])
    assert [v for v, _ in panel["xt"]] == [1, 2, 3]
    many = viz.residual.gradient_norms_chart({"plain": np.ones(52)}).to_dict()
    assert all(float(v).is_integer() for v, _ in many["xt"]) and len(many["xt"]) <= 8
    with pytest.raises(TypeError, match="gradient_norms_chart"):
        viz.residual.gradient_norms_chart({})


def test_the_depth_explorer_frame_is_data_with_the_measured_norms():
    """A stack's weight-gradient norms, measured here with the layers' own backward, are the
    plotted values (a frame is JSON: numbers, not pixels)."""
    rng = np.random.default_rng(0)
    block = ll.Residual(ll.Sequential(ll.Linear(5, 5, rng=rng), ll.ReLU()))
    net = ll.Sequential(ll.Linear(6, 5, rng=rng), ll.ReLU(), block, ll.Linear(5, 3, rng=rng))
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    loss = ll.CrossEntropyLoss()
    loss(net(x), y)
    net.backward(loss.backward())
    grads = [np.linalg.norm(m.weight.grad) for m in (net[0], net[2].body[0], net[3])]
    ex = viz.explore(lambda k: viz.residual.gradient_norms_chart({"residual": grads[:k]}), {"k": [2, 3]},
                     mode="static", title="depth")
    frame = ex.frames[1]["panels"][0]
    np.testing.assert_allclose(10 ** np.array(_lines(frame)[0]["y"]), grads, rtol=2e-3)
    assert ex.frames[0] != ex.frames[1] and ex.payload < 250_000


def test_plain_vs_residual_figure():
    norms = {"plain": [1e-12, 1e-6, 1.0], "residual": [0.3, 0.5, 1.0]}
    losses = {"plain": np.full(30, 2.3), "residual": np.r_[np.inf, np.linspace(2.0, 0.1, 29)]}
    fig = viz.residual.plot_plain_vs_residual(norms, losses, smooth=5)
    left, right = fig.axes[:2]
    assert left.get_yscale() == "log" and [line.get_label() for line in left.lines] == ["plain", "residual"]
    np.testing.assert_array_equal(left.lines[0].get_ydata(), norms["plain"])
    assert left.lines[0].get_linestyle() != left.lines[1].get_linestyle()  # readable in greyscale
    assert len(right.lines) == 2 and np.all(np.isfinite(right.lines[1].get_ydata()))
    np.testing.assert_allclose(right.lines[0].get_ydata(), 2.3)
    with pytest.raises(TypeError):
        viz.residual.plot_plain_vs_residual({}, losses)
