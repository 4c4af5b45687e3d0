"""A tiny PyTorch CNN trained on scikit-learn's bundled digits (8x8, offline), in
PyTorch's layout (N x 1 x 8 x 8): the PyTorch model the conversion tools are tested on.

`trained()` is also the factory function the tests hand to tinyml-convert as
`torch_digits.py:trained`; it loads the weights `train()` saved beside this
file's copy (TINYML_TORCH_DIGITS_WEIGHTS names them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

EPOCHS = 30


class DigitsNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(72, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv(x)))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


@dataclass(frozen=True)
class TorchDigits:
    exported: Path  # .pt2 (torch.export.save), input (1, 1, 8, 8) float in [0, 1]
    weights: Path  # the state dict, for trained()
    data: Path  # .npz: x (397, 1, 8, 8) float32, y (397,) int: the held-out samples


def train(directory: Path) -> TorchDigits:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    torch.manual_seed(0)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = torch.from_numpy(x[:1400]), torch.from_numpy(y[:1400])
    for _ in range(EPOCHS):
        for start in range(0, len(xt), 64):
            optimizer.zero_grad()
            probabilities = model(xt[start : start + 64])
            loss = nn.functional.nll_loss(torch.log(probabilities + 1e-9), yt[start : start + 64])
            loss.backward()
            optimizer.step()
    model.eval()
    result = TorchDigits(directory / "digits.pt2", directory / "digits.pth", directory / "digits_torch.npz")
    torch.save(model.state_dict(), result.weights)
    program = torch.export.export(model, (torch.zeros(1, 1, 8, 8),))
    torch.export.save(program, str(result.exported))
    np.savez(result.data, x=x[1400:], y=y[1400:])
    return result


def trained() -> nn.Module:
    model = DigitsNet()
    model.load_state_dict(torch.load(os.environ["TINYML_TORCH_DIGITS_WEIGHTS"], weights_only=True))
    return model
