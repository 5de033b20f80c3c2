"""vaelib.checks.nb01 against references written out here: right answers pass, planted mistakes are named."""

import math

import numpy as np
import torch
from checking import fails, not_attempted, passes

import vaelib
from vaelib.checks import nb01


def _constant_decoder_terms():
    """Ink and paper terms of the constant decoder's loss, per test image, in float64 with numpy."""
    train = vaelib.load_mnist("train").pixels.numpy()
    mean = sum(chunk.astype(np.float64).sum(axis=0) for chunk in np.array_split(train, 6)) / (255 * len(train))
    x = vaelib.load_mnist("test").pixels.numpy().astype(np.float64) / 255
    with np.errstate(divide="ignore"):
        log_m, log_1m = np.maximum(np.log(mean), -100), np.maximum(np.log1p(-mean), -100)  # as torch clamps
    ink = -(x * log_m).sum(axis=1).mean()
    paper = -((1 - x) * log_1m).sum(axis=1).mean()
    return ink, paper


def test_01_1_constant_decoder_loss(capsys):
    ink, paper = _constant_decoder_terms()
    loss = ink + paper
    assert 150 < loss < 300  # between the trained autoencoder's loss and coin flips (543 nats)
    not_attempted(capsys, nb01.constant_decoder_loss, None)
    passes(capsys, nb01.constant_decoder_loss, loss)
    passes(capsys, nb01.constant_decoder_loss, torch.tensor(loss, dtype=torch.float32))  # a 0-d tensor is fine
    passes(capsys, nb01.constant_decoder_loss, round(loss, 1))  # worked to one decimal
    planted = {
        "averaged over the 784 pixels": loss / 784,
        "in bits": loss / math.log(2),
        "summed over the 10,000 test images": loss * 10_000,
        "the log-likelihood, not the loss": -loss,
        "only the ink term": ink,
        "only the paper term": paper,
        "is nan": float("nan"),
        "expected one number": "two hundred",
    }
    for mistake, answer in planted.items():
        fails(nb01.constant_decoder_loss, answer, match=f"Exercise 01.1: .*{mistake}")
    message = fails(nb01.constant_decoder_loss, loss + 5, match="Exercise 01.1: expected")
    assert "binary_cross_entropy" in message  # a plain wrong number still gets the hint


def _small_autoencoder():
    model = vaelib.Autoencoder(vaelib.ModelConfig(input_dim=784, hidden_dims=(32,), latent_dim=2), seed=3)
    model.eval()
    return model


def test_01_2_rescaled_autoencoder(capsys):
    """Against a reference written out: codes z' = A z, and decode(A^{-1} z') = decode(z)."""
    model = _small_autoencoder()
    before = [p.clone() for p in model.parameters()]
    a = torch.tensor([[10.0, 0.0], [3.0, 0.5]], dtype=torch.float64)
    x = vaelib.load_mnist("test").images[:1000]
    with torch.no_grad():
        z = model.encode(x).double()
    rms = lambda c: float(((c - c.mean(0)) ** 2).sum(1).mean().sqrt())
    ratio = rms(z @ a.T) / rms(z)
    passes(capsys, nb01.rescaled_autoencoder, [0.0, ratio], model)
    passes(capsys, nb01.rescaled_autoencoder, (3e-7, round(ratio, 2)), model)
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters(), strict=True))  # the check edits a copy
    not_attempted(capsys, nb01.rescaled_autoencoder, None, model)

    # the two edits a learner gets wrong, done by hand: the difference they would report
    def difference(scale_bias=True, decoder=None):
        edited = vaelib.Autoencoder(model.config, seed=3)
        edited.load_state_dict(model.state_dict())
        edited.eval()
        with torch.no_grad():
            af = a.float()
            edited.encoder[-1].weight.copy_(af @ edited.encoder[-1].weight)
            if scale_bias:
                edited.encoder[-1].bias.copy_(af @ edited.encoder[-1].bias)
            edited.decoder[0].weight.copy_(
                edited.decoder[0].weight @ (torch.linalg.inv(af) if decoder is None else decoder)
            )
            return float((torch.sigmoid(edited(x)) - torch.sigmoid(model(x))).abs().max())

    fails(
        nb01.rescaled_autoencoder, [difference(scale_bias=False), ratio], model, match="Exercise 01.2: .*bias was left"
    )
    fails(
        nb01.rescaled_autoencoder,
        [difference(decoder=a.float()), ratio],
        model,
        match=r"Exercise 01.2: .*multiplied by A instead of A\^\(-1\)",
    )
    fails(nb01.rescaled_autoencoder, [0.1, ratio], model, match="Exercise 01.2: .*float32 rounding")
    planted = {
        "original spread over the edited one": 1 / ratio,
        "squared spreads": ratio**2,
        "z_1 alone": 10.0,
        r"\|det A\| = 5": 5.0,
        r"sqrt\|det A\|": math.sqrt(5.0),
    }
    for mistake, wrong_ratio in planted.items():
        assert not np.isclose(wrong_ratio, ratio, rtol=1e-2)  # the planted mistake is a mistake for this model
        fails(nb01.rescaled_autoencoder, [0.0, wrong_ratio], model, match=f"Exercise 01.2: .*{mistake}")
    fails(nb01.rescaled_autoencoder, [0.0, 1.0], model, match="Exercise 01.2: expected")
    fails(nb01.rescaled_autoencoder, ratio, model, match="Exercise 01.2: .*two numbers")


def test_01_3_principal_angles(capsys):
    passes(capsys, nb01.principal_angles_example, [0.0, 45.0])  # e2 against (e2 + e3) / sqrt(2): cos = 1 / sqrt(2)
    passes(capsys, nb01.principal_angles_example, np.array([0.05, 45.05]))  # within 0.1 degrees
    not_attempted(capsys, nb01.principal_angles_example, None)
    fails(nb01.principal_angles_example, [45.0, 0.0], match="Exercise 01.3: .*look swapped")
    fails(nb01.principal_angles_example, [0.0, math.pi / 4], match="Exercise 01.3: .*radians")
    fails(nb01.principal_angles_example, [1.0, math.sqrt(0.5)], match="Exercise 01.3: .*cosines")
    fails(nb01.principal_angles_example, [0.0, 90.0], match="Exercise 01.3: .*not orthogonal")
    fails(nb01.principal_angles_example, "forty-five", match="Exercise 01.3: expected a number")
    fails(nb01.principal_angles_example, [45.0], match="Exercise 01.3: expected shape")
