"""A stack of M multilayer perceptrons (ReLU between layers) with the same layer
sizes, computed together, with the forward and backward pass written out.

The contract this file keeps: a member's numbers do not depend on which other
members share its stack, nor on how many there are. Bit for bit, a member trained
in a stack of 50 equals the same member trained alone (the tests check it at full
training length). That holds because every operation on a member's numbers is one
of these:
- a batched matrix product, computed by MKL in its strict reproducible mode
  (`trauma/numerics/blas.py`); without it, MKL rounds differently depending on the memory
  alignment of each member's matrix. A batch of one matrix takes another code path
  in PyTorch (a plain matrix product), so a stack of one member is computed as a
  stack of two copies;
- a row-wise softmax or log-softmax over the classes of one example;
- an element-wise operation that is exact (ReLU and its mask) or a single correctly
  rounded one (subtraction, multiplication), so that PyTorch's vectorised and
  scalar loops give the same bits wherever a member sits in memory;
- the fused Adam or SGD step over one flat parameter buffer whose length is a
  multiple of 16 floats, so that every element takes the optimiser's vectorised
  path (its scalar tail, used for the last elements of a tensor, rounds differently).
  Members with different learning rates are trained as separate stacks side by
  side (`trauma/numerics/trainer.py`), so a member's stack holds one learning rate.

Layout: layer l of every member is a block [M, in_l + 1, out_l] of one flat
buffer, the weights transposed with the bias as the last row, so that a layer is
one matrix product of its input with a column of ones appended. `member()` gives a
member's parameters in `nn.Linear`'s shapes ([W0, b0, W1, b1, ...]).
"""

from __future__ import annotations

import numpy as np
import torch

ALIGN = 16  # floats per 64-byte cache line: the fused optimisers' unit of work


def init_member(dims, rng: np.random.Generator) -> list[np.ndarray]:
    """[W0, b0, W1, b1, ...] for layer sizes `dims` ([in, hidden..., out]), drawn
    like PyTorch's default `nn.Linear` initialisation, U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) for weights ([out, in]) and biases, from an explicit Generator."""
    params = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)))
        params.append(rng.uniform(-bound, bound, fan_out))
    return params


class MLPStack:
    """M MLPs with layer sizes `dims`, parameters in one flat float32 buffer."""

    def __init__(self, dims, members: int, flat: torch.Tensor | None = None):
        self.dims = [int(d) for d in dims]
        self.members = members
        self.shapes = [(fan_in + 1, fan_out) for fan_in, fan_out in zip(self.dims[:-1], self.dims[1:])]
        size = members * sum(a * b for a, b in self.shapes)
        self.numel = -(-size // ALIGN) * ALIGN
        self.flat = torch.zeros(self.numel) if flat is None else flat
        if self.flat.shape != (self.numel,):
            raise ValueError(f"flat buffer must have {self.numel} elements, got {tuple(self.flat.shape)}")
        self.layers = self.views(self.flat)

    def views(self, buffer: torch.Tensor) -> list[torch.Tensor]:
        """The layer blocks [M, in + 1, out] of a buffer laid out like `flat`."""
        blocks, start = [], 0
        for rows, columns in self.shapes:
            size = self.members * rows * columns
            blocks.append(buffer[start : start + size].view(self.members, rows, columns))
            start += size
        return blocks

    @classmethod
    def from_members(cls, dims, members: list[list]) -> MLPStack:
        """A stack from each member's [W0, b0, W1, b1, ...] (nn.Linear shapes)."""
        stack = cls(dims, len(members))
        with torch.no_grad():
            for m, params in enumerate(members):
                for block, weight, bias in zip(stack.layers, params[0::2], params[1::2]):
                    block[m, :-1] = torch.as_tensor(np.asarray(weight).T, dtype=torch.float32)
                    block[m, -1] = torch.as_tensor(np.asarray(bias), dtype=torch.float32)
        return stack

    def member(self, m: int) -> list[torch.Tensor]:
        """Member m's parameters [W0, b0, W1, b1, ...] in nn.Linear's shapes (copies)."""
        params = []
        for block in self.layers:
            params += [block[m, :-1].T.clone(), block[m, -1].clone()]
        return params

    def select(self, index) -> MLPStack:
        """A new stack of the given members, in that order (a copy)."""
        index = torch.as_tensor(index, dtype=torch.long)
        chosen = MLPStack(self.dims, len(index))
        with torch.no_grad():
            for block, source in zip(chosen.layers, self.layers):
                block.copy_(source[index])
        return chosen

    def clone(self) -> MLPStack:
        return MLPStack(self.dims, self.members, self.flat.detach().clone())


def with_ones(x: torch.Tensor) -> torch.Tensor:
    """[..., n, features] -> [..., n, features + 1], the last column ones."""
    return torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype)], dim=-1)


def forward(layers: list[torch.Tensor], x_ones: torch.Tensor, buffers: list[torch.Tensor] | None = None):
    """Outputs [M, n, out] of every member for inputs x_ones [M, n, in + 1] (a
    column of ones appended), and each layer's input (for `backward`). `buffers`:
    optional preallocated hidden inputs [M, n, width + 1] whose last column is ones."""
    inputs = [x_ones]
    h = x_ones
    for i, block in enumerate(layers):
        z = torch.bmm(h, block)
        if i == len(layers) - 1:
            return z, inputs
        h = buffers[i] if buffers is not None else torch.ones(*z.shape[:-1], z.shape[-1] + 1)
        torch.clamp(z, min=0, out=h[..., :-1])  # ReLU
        inputs.append(h)


def backward(
    layers: list[torch.Tensor], inputs: list[torch.Tensor], grad_output: torch.Tensor, grads: list[torch.Tensor]
) -> list[torch.Tensor]:
    """Gradients of the loss with respect to every layer block, written into `grads`
    (blocks like `layers`), from the gradient at the output [M, n, out]. Returns the
    gradient at each layer's output (pre-activation), first layer first."""
    deltas = [grad_output]
    g = grad_output
    for i in range(len(layers) - 1, -1, -1):
        torch.bmm(inputs[i].mT, g, out=grads[i])
        if i > 0:
            g = torch.bmm(g, layers[i][:, :-1].mT)
            g = torch.ops.aten.threshold_backward(g, inputs[i][..., :-1], 0)  # ReLU'
            deltas.insert(0, g)
    return deltas


def per_example_grad_norms(inputs: list[torch.Tensor], deltas: list[torch.Tensor]) -> torch.Tensor:
    """||d loss_i / d params|| for every example i of a `forward`/`backward` pass
    whose loss is a sum over examples, without materialising per-example gradients:
    example i's gradient for a layer is the outer product of its input a_i (ones
    column included) and its output gradient delta_i, whose squared norm is
    ||a_i||^2 ||delta_i||^2. Returns [M, n]."""
    squared = sum(a.pow(2).sum(-1) * d.pow(2).sum(-1) for a, d in zip(inputs, deltas))
    return squared.sqrt()


def at_least_two(stack: MLPStack, *tensors: torch.Tensor):
    """The stack and per-member tensors ([M, ...]) as they are, or, for a one-member
    stack, two copies of each: PyTorch computes a batch of one matrix product with
    another kernel, which rounds differently. Slice results with [: stack.members]."""
    if stack.members > 1:
        return (stack, *tensors)
    return (stack.select([0, 0]), *(t.repeat(2, *[1] * (t.dim() - 1)) for t in tensors))


def outputs(stack: MLPStack, x: torch.Tensor) -> torch.Tensor:
    """Every member's outputs [M, n, out] for its own inputs x [M, n, in], without
    gradients."""
    computed, x = at_least_two(stack, x)
    with torch.no_grad():
        return forward(computed.layers, with_ones(x))[0][: stack.members]


def evaluate(stack: MLPStack, x: torch.Tensor, member_block: int = 64, input_block: int = 1024) -> torch.Tensor:
    """Every member's outputs [M, n, out] for inputs x: [M, n, in] (each member its
    own) or [n, in] (the same for all). Computed in fixed blocks of members and
    inputs: faster in cache, bounded in memory, and the same blocks whatever the grid."""
    blocks = []
    for start in range(0, stack.members, member_block):
        end = min(start + member_block, stack.members)
        part = stack if (start, end) == (0, stack.members) else stack.select(range(start, end))
        xs = x[start:end] if x.dim() == 3 else x.expand(end - start, *x.shape)
        blocks.append(
            torch.cat([outputs(part, xs[:, i : i + input_block]) for i in range(0, xs.shape[1], input_block)], dim=1)
        )
    return torch.cat(blocks)


def squared_gradient_means(stack: MLPStack, inputs: list[torch.Tensor], deltas: list[torch.Tensor]) -> MLPStack:
    """The mean over examples of every parameter's squared per-example gradient, as
    a stack like `stack`, from a `forward`/`backward` pass whose output gradient is
    each example's own (not divided by the number of examples). Example i's gradient
    for a layer is the outer product of its input a_i and output gradient delta_i,
    so the mean of its squares is (a^2)^T (delta^2) / n."""
    means = MLPStack(stack.dims, stack.members)
    with torch.no_grad():
        for block, a, d in zip(means.layers, inputs, deltas):
            block.copy_(torch.bmm(a.pow(2).mT, d.pow(2)) / a.shape[1])
    return means
