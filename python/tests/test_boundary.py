"""The boundary between Python and the library: refusals as ValueError with the library's
message, wrong types as TypeError, random arguments that never crash the interpreter,
views pooled in place, `out=`, the GIL released, memory that stays flat."""

import random
import threading
import time

import numpy as np
import pytest

import poolkit

SEED_GRID = np.array(
    [[8, 2, 6, 1, 7, 3], [5, 9, 3, 8, 2, 6], [1, 4, 7, 2, 9, 4],
     [6, 3, 1, 5, 3, 8], [2, 8, 4, 7, 1, 5], [7, 1, 9, 3, 6, 2]], dtype=np.float32
)[None, None]


def test_the_seed_grid():
    np.testing.assert_array_equal(poolkit.max_pool2d(SEED_GRID, 2)[0, 0], [[9, 8, 7], [6, 7, 9], [8, 9, 6]])
    np.testing.assert_array_equal(poolkit.avg_pool2d(SEED_GRID, 2)[0, 0],
                                  [[6, 4.5, 4.5], [3.5, 3.75, 6], [4.5, 5.75, 3.5]])


def brute_max_pool2d(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("view", ["fortran", "reversed", "sliced", "transposed"])
def test_views_are_pooled_in_place(view):
    base = np.random.default_rng(3).normal(size=(2, 3, 12, 10)).astype(np.float32)
    x = {
        "fortran": np.asfortranarray(base),
        "reversed": base[:, ::-1, ::-1, :],
        "sliced": base[:, :, 1::2, ::3],
        "transposed": base.transpose(0, 1, 3, 2),
    }[view]
    assert not x.flags.c_contiguous
    np.testing.assert_array_equal(poolkit.max_pool2d(x, 2), brute_max_pool2d(np.ascontiguousarray(x), 2, 2))


def test_out_is_written_in_place_and_checked():
    out = np.empty((1, 1, 3, 3), np.float32)
    assert poolkit.max_pool2d(SEED_GRID, 2, out=out) is out
    np.testing.assert_array_equal(out, poolkit.max_pool2d(SEED_GRID, 2))
    with pytest.raises(ValueError, match="shape"):
        poolkit.max_pool2d(SEED_GRID, 2, out=np.empty((1, 1, 2, 2), np.float32))
    x = np.zeros((1, 1, 6, 6), np.float32)
    with pytest.raises(ValueError, match="shares memory"):
        poolkit.avg_pool2d(x, 1, out=x)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: poolkit.max_pool2d(SEED_GRID, 7), "no window fits"),
        (lambda: poolkit.max_pool2d(SEED_GRID, 2, stride=0), "stride"),
        (lambda: poolkit.avg_pool2d(SEED_GRID, 2, divisor_override=0), "divisor_override 0"),
        (lambda: poolkit.lp_pool2d(SEED_GRID, -1.0, 2), "p = -1"),
        (lambda: poolkit.max_pool2d(SEED_GRID[0, 0], 2), "shape"),
        (lambda: poolkit.max_pool2d(SEED_GRID, (2, 2, 2)), "3 entries"),
        (lambda: poolkit.max_pool2d(SEED_GRID, 2, layout="hwc"), "layout"),
        (lambda: poolkit.max_pool2d(SEED_GRID, 2, auto_pad="same", padding=1), "not both"),
        (lambda: poolkit.max_pool2d(SEED_GRID, 2, return_indices=True, index_format="tf"), "index_format"),
        (lambda: poolkit.max_pool2d(SEED_GRID, 2, threads=0), "threads"),
        (lambda: poolkit.lp_pool2d(SEED_GRID.astype(np.uint8), 2.0, 2), "float type"),
    ],
)
def test_refusals_are_value_errors_naming_the_rule(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: poolkit.max_pool2d([[1.0]], 2),
        lambda: poolkit.max_pool2d(SEED_GRID.astype(np.int64), 2),
        lambda: poolkit.max_pool2d(SEED_GRID, "2"),
        lambda: poolkit.max_pool2d(SEED_GRID, 2.5),
        lambda: poolkit.max_pool2d(SEED_GRID, True),
        lambda: poolkit.max_unpool2d(SEED_GRID, SEED_GRID, 2),
        lambda: poolkit.max_pool2d_backward(SEED_GRID.astype(np.float64), SEED_GRID, 2),
    ],
)
def test_wrong_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_random_arguments_never_crash():
    """Random values of every argument: each call returns or raises ValueError/TypeError."""
    rng = random.Random(11)
    values = [None, 0, 1, 2, 3, -1, 2**40, 2**63, 2**70, 1.5, "2", (1,), (1, 2), (2, 2, 2), [], True, object()]
    shapes = [(1, 1, 5, 5), (2, 3, 1, 7), (1, 1, 0, 4), (3, 5, 5), (1,), ()]
    names = [n for n in poolkit.__all__ if n.endswith("2d") or n.startswith("global")]
    for _ in range(3000):
        name = rng.choice(names)
        x = np.random.default_rng(rng.randrange(99)).normal(size=rng.choice(shapes)).astype(np.float32)
        args = [rng.choice(values) for _ in range(rng.randint(0, 4))]
        try:
            getattr(poolkit, name)(x, *args)
        except (ValueError, TypeError):
            pass


def test_the_gil_is_released_while_pooling():
    """While one thread pools a large array, another keeps running Python code."""
    x = np.random.default_rng(0).normal(size=(16, 64, 112, 112)).astype(np.float32)
    inside = threading.Event()
    done = threading.Event()

    def pool():
        inside.set()
        for _ in range(20):
            poolkit.avg_pool2d(x, 3, 1, 1, threads=1)
        done.set()

    worker = threading.Thread(target=pool)
    worker.start()
    inside.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    worker.join()
    assert ticks > 1000, f"the main thread ran {ticks} times while the worker pooled"


def test_two_threads_pool_at_once_with_the_same_results():
    x = np.random.default_rng(1).normal(size=(4, 8, 40, 40)).astype(np.float32)
    want = poolkit.max_pool2d(x, 3, 2, 1)
    results = []
    threads = [threading.Thread(target=lambda: results.append(poolkit.max_pool2d(x, 3, 2, 1))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got in results:
        np.testing.assert_array_equal(got, want)


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_memory_stays_flat_over_a_hundred_thousand_calls():
    x = SEED_GRID.copy()
    dy = np.ones((1, 1, 3, 3), np.float32)
    for _ in range(2000):
        poolkit.max_pool2d(x, 2, return_indices=True)
    before = rss_kib()
    for _ in range(100_000):
        y, idx = poolkit.max_pool2d(x, 2, return_indices=True)
        poolkit.max_pool2d_backward(dy, x, 2, indices=idx)
        try:
            poolkit.max_pool2d(x, 9)
        except ValueError:
            pass
    grown = rss_kib() - before
    assert grown < 4096, f"resident memory grew by {grown} KiB"


def test_foreign_byte_order_is_refused_not_misread():
    big = SEED_GRID.astype(">f4")
    with pytest.raises(ValueError, match="byte order"):
        poolkit.max_pool2d(big, 2)
    poolkit.max_pool2d(SEED_GRID, 2)  # a cached plan for this shape must not let it through
    with pytest.raises(ValueError, match="byte order"):
        poolkit.max_pool2d(big, 2)


def test_repeated_calls_reuse_the_plan_and_still_check_each_array():
    base = np.random.default_rng(4).normal(size=(2, 3, 8, 8))
    for _ in range(3):
        for x in (base.astype(np.float32), base.astype(np.float64)[:, :, ::-1], np.asfortranarray(base)):
            np.testing.assert_array_equal(poolkit.max_pool2d(x, 2), brute_max_pool2d(np.ascontiguousarray(x), 2, 2))
            np.testing.assert_allclose(poolkit.avg_pool2d(x, 2), poolkit.avg_pool2d(np.ascontiguousarray(x), 2, threads=1))
    with pytest.raises(TypeError):
        poolkit.max_pool2d(base.astype(np.int64), 2)
    with pytest.raises(TypeError):
        poolkit.max_pool2d(base.astype(bool), 2)


def brute_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad):
    """Average pooling from the definition: windows over a zero-padded copy, each divided by
    its taps inside the padded input (count_include_pad) or inside the input."""
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p))
    padded[:, :, p:p + h, p:p + w] = x
    inside = np.zeros((h + 2 * p, w + 2 * p))
    inside[p:p + h, p:p + w] = 1

    def extent(size):
        room = size + 2 * p - k
        out = (-(-room // s) if ceil_mode else room // s) + 1
        return out - 1 if ceil_mode and (out - 1) * s >= size + p else out

    oh, ow = extent(h), extent(w)
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * s, min(i * s + k, h + 2 * p))
            cols = slice(j * s, min(j * s + k, w + 2 * p))
            count = inside[rows, cols].size if count_include_pad else inside[rows, cols].sum()
            out[:, :, i, j] = padded[:, :, rows, cols].sum(axis=(2, 3)) / count
    return out


@pytest.mark.parametrize("seed", range(30))
def test_avg_pool_matches_a_numpy_brute_force(seed):
    rng = random.Random(seed)
    k = rng.randint(1, 4)
    s, p = rng.randint(1, 3), rng.randint(0, k // 2)
    x = np.random.default_rng(seed).normal(size=(2, 2, rng.randint(k, 9), rng.randint(k, 9)))
    ceil, include = rng.random() < 0.5, rng.random() < 0.5
    got = poolkit.avg_pool2d(x, k, s, p, ceil, include)
    np.testing.assert_allclose(got, brute_avg_pool2d(x, k, s, p, ceil, include), rtol=1e-12, atol=1e-12)


def test_the_native_classes_check_what_they_are_given():
    """The classes behind the functions refuse, without writing, an output of another
    dtype, an output that overlaps an input, and a gradient buffer of the wrong size."""
    from poolkit._native import Plan, Unpool

    plan = Plan("max", [1, 1, 4, 4], "nchw", kernel=[2, 2], stride=[2, 2])
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    with pytest.raises(TypeError):
        plan.forward(x, np.zeros((1, 1, 2, 2), np.uint8), None)
    with pytest.raises(ValueError, match="shares memory"):
        plan.forward(x, x.reshape(-1)[:4].reshape(1, 1, 2, 2), None)
    with pytest.raises(ValueError, match="shares memory"):
        plan.backward(x, np.ones((1, 1, 2, 2)), x, None)
    unpool = Unpool([1, 1, 2, 2], "nchw", [2, 2])
    with pytest.raises(ValueError, match="grad_input"):
        unpool.backward(np.ones((1, 1, 4, 4)), np.zeros((1, 1, 2, 2), np.int64), np.zeros((1, 1, 3, 3)))


def test_cached_plans_do_not_let_other_argument_types_through():
    x = np.ones((1, 1, 4, 4), np.float32)
    poolkit.max_pool2d(x, 2, stride=1)
    with pytest.raises(TypeError):
        poolkit.max_pool2d(x, 2, stride=True)
    poolkit.avg_pool2d(x, 2, divisor_override=1)
    with pytest.raises(TypeError):
        poolkit.avg_pool2d(x, 2, divisor_override=True)
    with pytest.raises(ValueError, match="divisor"):
        poolkit.avg_pool2d(x, 2, divisor_override=-1)
    with pytest.raises(ValueError, match="storage_order"):
        poolkit.max_pool2d(x, 2, return_indices=True, index_format="onnx", storage_order=300)


def test_a_cached_call_refuses_a_bad_storage_order_too():
    x = np.ones((1, 1, 8, 8), np.float32)
    poolkit.max_pool2d(x, 2)
    with pytest.raises(ValueError, match="storage_order"):
        poolkit.max_pool2d(x, 2, return_indices=True, index_format="onnx", storage_order=300)
