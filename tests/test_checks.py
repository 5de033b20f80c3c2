"""vaelib.checks: unattempted answers pass quietly, right ones pass, wrong ones explain themselves."""

import numpy as np
import pytest
import torch

from vaelib.checks import check_close, check_true


def test_none_means_not_attempted(capsys):
    assert check_close("Exercise 1", None, 3.0) is None
    assert "Not attempted yet" in capsys.readouterr().out


def test_correct_answers_pass(capsys):
    assert check_close("Exercise 1", torch.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))
    assert "correct" in capsys.readouterr().out


def test_wrong_answer_says_expected_got_and_hint():
    with pytest.raises(AssertionError) as info:
        check_close("Exercise 2", 2.5, 3.0, hint="Did you sum over dimensions?")
    message = str(info.value)
    assert "Exercise 2" in message and "expected 3," in message and "got 2.5" in message and "sum over" in message
    assert "relative error" in message  # the learner is told how close is close enough


def test_wrong_shape_is_reported():
    with pytest.raises(AssertionError, match="shape"):
        check_close("Exercise 3", [1.0, 2.0], [1.0, 2.0, 3.0])


def test_check_true():
    assert check_true("Exercise 4", 5, lambda a: a > 3, "must exceed 3")
    with pytest.raises(AssertionError, match="must exceed 3"):
        check_true("Exercise 4", 1, lambda a: a > 3, "must exceed 3")
    assert check_true("Exercise 4", None, lambda a: a > 3, "must exceed 3") is None


def test_non_numeric_answer_is_a_check_message_not_a_crash():
    for answer in ["three", {"a": 1}, [1.0, "x"]]:
        with pytest.raises(AssertionError, match="Exercise 5: expected a number or an array of numbers"):
            check_close("Exercise 5", answer, 3.0, hint="Give a float.")


def test_tolerance_is_described_as_the_check_applies_it():
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.5\)"):
        check_close("Exercise 6", 12, 20, rtol=0, atol=0.5)
    with pytest.raises(AssertionError, match=r"allowed: absolute error 0\.1 plus relative error 0\.01\)"):
        check_close("Exercise 6", 12, 20, rtol=0.01, atol=0.1)


def test_blank_image_check_against_the_formula_written_out():
    import math

    from vaelib.checks import check_blank_image_reconstruction

    assert check_blank_image_reconstruction(784 * math.log1p(math.exp(-3.0))) is True  # 784 log(1 + e^-3)
    with pytest.raises(AssertionError, match="Exercise 06.1"):
        check_blank_image_reconstruction(784 * math.log(2))


def test_informative_dimensions_check_against_torch_distributions():
    from torch.distributions import Normal, kl_divergence

    import vaelib
    from vaelib.checks import check_informative_dimensions

    model = vaelib.VAE(vaelib.ModelConfig(input_dim=6, hidden_dims=(8,), latent_dim=5), seed=0)
    with torch.no_grad():
        model.fc_log_sigma.bias[:2] = -2.0  # two dimensions with small sigma: they carry KL
        model.fc_log_sigma.bias[2:] = 0.0
    x = torch.rand(50, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        mu, log_sigma = model.encode(x)
    kl = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).mean(dim=0)
    count = int((kl > 0.1).sum())
    assert 2 <= count < 5
    assert check_informative_dimensions(count, model, x) is True
    with pytest.raises(AssertionError, match="absolute error 0.5"):
        check_informative_dimensions(count + 1, model, x)


def test_harmful_baseline_is_called_harmful():
    from vaelib import gradients

    with pytest.raises(AssertionError, match="times larger"):
        gradients.check_baseline(100.0)


def test_close_but_wrong_numbers_never_print_the_same():
    with pytest.raises(AssertionError) as info:
        check_close("Exercise 7", -1000.75, -1000.7496, rtol=0, atol=1e-6)
    message = str(info.value)
    assert "expected -1000.7496" in message and "got -1000.75 " in message


def test_blank_image_check_accepts_an_answer_worked_by_hand_to_one_decimal():
    from vaelib.checks import check_blank_image_reconstruction

    assert check_blank_image_reconstruction(38.1) is True
    with pytest.raises(AssertionError):
        check_blank_image_reconstruction(38.0)
