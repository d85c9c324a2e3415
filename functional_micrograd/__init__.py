"""functional_micrograd: reverse-mode autodiff on immutable scalar Values.

>>> import functional_micrograd as fm
>>> x = fm.Value(2.0, label="x")
>>> y = (x * x + 1).tanh()
>>> g = fm.backward(y)
>>> round(y.data, 4), round(g[x], 4)
(0.9999, 0.0007)
>>> fm.grad(lambda x: x ** 3)(2.0)
12.0
"""

from functional_micrograd import (
    datasets,
    explorer,
    graph,
    losses,
    nn,
    optim,
    plot_data,
    primitives,
    rng,
    serialize,
    training,
    transforms,
)
from functional_micrograd._ops import (
    abs,
    add,
    cos,
    define_op,
    div,
    exp,
    log,
    logsumexp,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    step,
    sub,
    sum_values,
    tanh,
)
from functional_micrograd.autodiff import (
    BackwardStep,
    Gradients,
    backward,
    backward_steps,
    topological_order,
)
from functional_micrograd.jit import Trace, jit, make_trace
from functional_micrograd.training import TrainingDiverged, train
from functional_micrograd.transforms import (
    GradientCheckError,
    check_grads,
    grad,
    hessian,
    value_and_grad,
)
from functional_micrograd.value import Edge, Value

__version__ = "0.2.0"

__all__ = [
    "BackwardStep",
    "Edge",
    "GradientCheckError",
    "Gradients",
    "Trace",
    "TrainingDiverged",
    "Value",
    "__version__",
    "abs",
    "add",
    "backward",
    "backward_steps",
    "check_grads",
    "cos",
    "datasets",
    "define_op",
    "div",
    "exp",
    "explorer",
    "grad",
    "graph",
    "hessian",
    "jit",
    "log",
    "logsumexp",
    "losses",
    "make_trace",
    "mul",
    "neg",
    "nn",
    "optim",
    "plot_data",
    "pow",
    "primitives",
    "relu",
    "rng",
    "serialize",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "sub",
    "sum_values",
    "tanh",
    "topological_order",
    "train",
    "training",
    "transforms",
    "value_and_grad",
]
