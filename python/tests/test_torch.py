"""poolkit.torch: the same numbers as torch.nn.functional, gradients that pass
torch.autograd.gradcheck in float64, custom operators that pass torch.library.opcheck,
channels-last tensors kept channels last, and the nn modules."""

import random

import pytest
import torch
import torch.nn.functional as F

import poolkit.torch as pt
from poolkit.torch import _ops


def cases(rank, seed):
    rng = random.Random(seed)
    kernel = [rng.randint(1, 3) for _ in range(rank)]
    stride = [rng.randint(1, 2) for _ in range(rank)]
    padding = [rng.randint(0, k // 2) for k in kernel]
    spatial = [rng.randint(k + 1, 6) for k in kernel]
    return kernel, stride, padding, spatial, rng.random() < 0.5


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_functions_match_torch_and_pass_gradcheck(seed, rank):
    kernel, stride, padding, spatial, ceil = cases(rank, seed * 3 + rank)
    x = torch.randn([1, 2] + spatial, dtype=torch.float64, requires_grad=True)
    d = f"{rank}d"
    calls = [
        (f"max_pool{d}", (kernel, stride, padding, 1, ceil)),
        (f"avg_pool{d}", (kernel, stride, padding, ceil, seed % 2 == 0)),
        (f"adaptive_max_pool{d}", ([max(1, s - 1) for s in spatial],)),
        (f"adaptive_avg_pool{d}", ([s + 1 for s in spatial],)),
    ]
    for name, args in calls:
        ours, theirs = getattr(pt, name)(x, *args), getattr(F, name)(x, *args)
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)
        assert torch.autograd.gradcheck(lambda t: getattr(pt, name)(t, *args), (x,)), name
    positive = (x.detach().abs() + 0.5).requires_grad_(True)
    lp_args = (2.0, kernel[0] if rank == 1 else kernel, stride[0] if rank == 1 else stride)
    torch.testing.assert_close(getattr(pt, f"lp_pool{d}")(positive, *lp_args),
                               getattr(F, f"lp_pool{d}")(positive, *lp_args))
    assert torch.autograd.gradcheck(lambda t: getattr(pt, f"lp_pool{d}")(t, *lp_args), (positive,))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_unpool_matches_torch_and_passes_gradcheck(rank):
    kernel, _, padding, spatial, _ = cases(rank, 40 + rank)
    # Windows apart, so that no two pooled values share an index (unpooling keeps the last
    # of such a pair, and its gradient is then no longer a gather).
    stride = kernel
    x = torch.randn([1, 2] + spatial, dtype=torch.float64)
    y, idx = getattr(F, f"max_pool{rank}d")(x, kernel, stride, padding, return_indices=True)
    y.requires_grad_(True)
    ours = getattr(pt, f"max_unpool{rank}d")(y, idx, kernel, stride, padding, spatial)
    torch.testing.assert_close(ours, getattr(F, f"max_unpool{rank}d")(y, idx, kernel, stride, padding, spatial))
    assert torch.autograd.gradcheck(lambda t: getattr(pt, f"max_unpool{rank}d")(t, idx, kernel, stride, padding, spatial), (y,))


def test_custom_operators_pass_opcheck():
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64, requires_grad=True)
    geometry = ([3, 2], [2, 2], [1, 1, 1, 1], [1, 1], True)
    torch.library.opcheck(_ops.max_pool, (x, "max") + geometry + ([],))
    torch.library.opcheck(_ops.pool, (x, "avg") + geometry + (False, None, 2.0, []))
    torch.library.opcheck(_ops.pool, (x, "adaptive_avg", [], [], [], [], False, True, None, 2.0, [3, 4]))
    y, idx = _ops.max_pool(x.detach(), "max", [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], False, [])
    torch.library.opcheck(_ops.max_unpool, (y.requires_grad_(True), idx, [2, 2], [2, 2], [0, 0, 0, 0], [7, 6]))


def test_channels_last_stays_channels_last():
    x = torch.randn(2, 16, 9, 9).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    y, idx = pt.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert y.is_contiguous(memory_format=torch.channels_last)
    y_t, idx_t = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    torch.testing.assert_close(y, y_t, rtol=0, atol=0)
    assert torch.equal(idx, idx_t)
    dy = torch.randn_like(y)
    (dx,) = torch.autograd.grad(y, x, dy)
    (dx_t,) = torch.autograd.grad(y_t, x, dy)
    # Overlapping windows add gradients: poolkit in float64 rounded once, PyTorch in float.
    torch.testing.assert_close(dx, dx_t)
    assert dx.is_contiguous(memory_format=torch.channels_last)


def test_modules_and_dtypes():
    x = torch.randn(2, 4, 10, 10)
    for module, reference in [
        (pt.nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
        (pt.nn.AvgPool2d(2, ceil_mode=True), torch.nn.AvgPool2d(2, ceil_mode=True)),
        (pt.nn.AdaptiveAvgPool2d((1, None)), torch.nn.AdaptiveAvgPool2d((1, None))),
        (pt.nn.LPPool2d(2, 2), torch.nn.LPPool2d(2, 2)),
    ]:
        assert list(module.parameters()) == []
        torch.testing.assert_close(module(x), reference(x))
    for dtype in (torch.float16, torch.bfloat16, torch.uint8, torch.int8):
        xt = (torch.randn(1, 2, 6, 6) * 10).to(dtype)
        assert torch.equal(pt.max_pool2d(xt, 2), F.max_pool2d(xt, 2))


def test_refusals_and_wrong_types():
    with pytest.raises(ValueError, match="no window fits"):
        pt.max_pool2d(torch.randn(1, 1, 3, 3), 5)
    with pytest.raises(TypeError):
        pt.max_pool2d([[1.0]], 2)


def test_fake_kernels_keep_channels_last_and_modules_keep_their_arguments():
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    torch.library.opcheck(_ops.pool, (x, "avg", [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], False, True, None, 2.0, []))
    torch.library.opcheck(_ops.max_pool, (x, "max", [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], False, []))
    module = pt.nn.MaxPool2d(2, return_indices=True)
    assert module.kernel_size == 2 and module.return_indices
    y, idx = module(x.detach())
    assert pt.nn.MaxUnpool2d(2)(y, idx, (6, 6)).shape == (2, 3, 6, 6)
    assert torch.equal(pt.max_pool2d(x.detach(), 2, stride=()), F.max_pool2d(x.detach(), 2))
