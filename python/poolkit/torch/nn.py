"""``torch.nn``-style modules over poolkit's functions: MaxPool1d/2d/3d, AvgPool*,
LPPool*, AdaptiveMaxPool*, AdaptiveAvgPool*, MaxUnpool*, with torch's constructor
arguments. They hold no parameters, as pooling has none."""

import sys

import torch

# The functions of poolkit.torch, which imports this module once they exist.
_functions = vars(sys.modules[__package__])

__all__ = []


def _module(name, function, fields, inputs_taken=1):
    def __init__(self, *args, **kwargs):
        torch.nn.Module.__init__(self)
        names = list(fields)
        if len(args) > len(names):
            raise TypeError(f"{name} takes at most {len(names)} arguments")
        values = dict(fields)
        values.update(zip(names, args))
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{name} got an unexpected argument {key!r}")
            values[key] = value
        for key, value in values.items():
            setattr(self, key, value)

    def forward(self, *inputs, **extra):
        if inputs_taken > 1 and len(inputs) > inputs_taken:
            # MaxUnpool's forward takes output_size after input and indices, as in torch.
            extra["output_size"] = inputs[inputs_taken]
            inputs = inputs[:inputs_taken]
        return function(*inputs, **extra, **{key: getattr(self, key) for key in fields})

    def extra_repr(self):
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in fields)

    cls = type(name, (torch.nn.Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                          "__doc__": f"``torch.nn.{name}``, computed by poolkit."})
    cls.__module__ = "poolkit.torch.nn"
    globals()[name] = cls
    __all__.append(name)


for _r in (1, 2, 3):
    _module(f"MaxPool{_r}d", _functions[f"max_pool{_r}d"],
            {"kernel_size": None, "stride": None, "padding": 0, "dilation": 1, "return_indices": False,
             "ceil_mode": False})
    _module(f"AvgPool{_r}d", _functions[f"avg_pool{_r}d"],
            {"kernel_size": None, "stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
             "divisor_override": None})
    _module(f"LPPool{_r}d", _functions[f"lp_pool{_r}d"],
            {"norm_type": None, "kernel_size": None, "stride": None, "ceil_mode": False})
    _module(f"AdaptiveMaxPool{_r}d", _functions[f"adaptive_max_pool{_r}d"],
            {"output_size": None, "return_indices": False})
    _module(f"AdaptiveAvgPool{_r}d", _functions[f"adaptive_avg_pool{_r}d"], {"output_size": None})
    _module(f"MaxUnpool{_r}d", _functions[f"max_unpool{_r}d"],
            {"kernel_size": None, "stride": None, "padding": 0}, inputs_taken=2)
