"""poolkit: the pooling layers of convolutional networks, computed by the poolkit library.

numpy functions named and shaped like ``torch.nn.functional``'s (``max_pool2d``,
``avg_pool2d``, ``lp_pool2d``, ``adaptive_max_pool2d``, ``max_unpool2d``, ... in 1, 2
and 3 spatial dimensions), global pooling, and a ``*_backward`` for each. Every number
comes from the Rust library; the GIL is released while it computes.

    >>> import numpy as np, poolkit
    >>> x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6)
    >>> poolkit.max_pool2d(x, 2).shape
    (1, 1, 3, 3)
"""

from . import _functional
from ._native import __version__

globals().update(_functional.build())

__all__ = sorted(name for name in _functional.build()) + ["__version__"]
