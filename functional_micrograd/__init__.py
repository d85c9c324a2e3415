"""functional_micrograd: reverse-mode autodiff on immutable scalar Values.

>>> import functional_micrograd as fm
>>> x = fm.Value(2.0, label="x")
>>> y = (x * x + 1).tanh()
>>> g = fm.backward(y)
>>> round(y.data, 4), round(g[x], 4)
(0.9999, 0.0007)
"""

from functional_micrograd import datasets, graph, losses, nn, optim, plot_data, rng, training
from functional_micrograd.autodiff import (
    Gradients,
    backward,
    grad,
    topological_order,
    value_and_grad,
)
from functional_micrograd.training import TrainingDiverged, train
from functional_micrograd.value import (
    Edge,
    Value,
    add,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sub,
    sum_values,
    tanh,
)

__version__ = "0.1.0"

__all__ = [
    "Edge",
    "Gradients",
    "TrainingDiverged",
    "Value",
    "__version__",
    "add",
    "backward",
    "datasets",
    "div",
    "exp",
    "grad",
    "graph",
    "log",
    "losses",
    "mul",
    "neg",
    "nn",
    "optim",
    "plot_data",
    "pow",
    "relu",
    "rng",
    "sigmoid",
    "sub",
    "sum_values",
    "tanh",
    "topological_order",
    "train",
    "training",
    "value_and_grad",
]
