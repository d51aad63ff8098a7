"""The committed type stubs are what python/tools/stubs.py writes from the functions, and
every public function has a docstring that help() shows."""

import pathlib
import sys

import poolkit

TOOLS = pathlib.Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))

import stubs  # noqa: E402


def test_stubs_match_the_functions():
    committed = (pathlib.Path(__file__).resolve().parents[1] / "poolkit" / "__init__.pyi").read_text()
    assert committed == stubs.render(), "run: python python/tools/stubs.py > python/poolkit/__init__.pyi"


def test_every_function_is_documented():
    for name in poolkit.__all__:
        if name != "__version__":
            doc = getattr(poolkit, name).__doc__
            assert doc and len(doc) > 80, name


def test_every_docstring_example_runs():
    import doctest

    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for name in poolkit.__all__:
        if name != "__version__":
            for test in doctest.DocTestFinder().find(getattr(poolkit, name), name):
                runner.run(test)
    assert runner.failures == 0 and runner.tries >= 2 * (len(poolkit.__all__) - 1)
