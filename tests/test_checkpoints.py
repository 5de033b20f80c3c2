"""vaelib.checkpoints: exact round trip, configuration checks, and refusal of pickles."""

import pickle

import pytest
import torch

from vaelib import VAE, Autoencoder, CheckpointError, ModelConfig, load_model, save_model
from vaelib.checkpoints import read_metadata


def test_round_trip_is_exact(tmp_path):
    for cls in (VAE, Autoencoder):
        model = cls(ModelConfig(hidden_dims=(32, 16), latent_dim=3), seed=4)
        path = save_model(model, tmp_path / f"{cls.__name__}.safetensors", extra={"command": "python x.py"})
        loaded = load_model(path)
        assert type(loaded) is cls and loaded.config == model.config and not loaded.training
        for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
            assert torch.equal(a, b), name
        assert read_metadata(path)["command"] == "python x.py"


def test_configuration_mismatch_is_refused(tmp_path):
    path = save_model(VAE(ModelConfig(latent_dim=2)), tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="expected"):
        load_model(path, expected_config=ModelConfig(latent_dim=20))


def test_tampered_weights_that_do_not_fit_are_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "bad.safetensors"
    meta = {"kind": "VAE", "config": '{"input_dim": 784, "hidden_dims": [400], "latent_dim": 2}'}
    save_file({"fc_mu.weight": torch.zeros(2, 3)}, str(path), metadata=meta)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(path)


def test_safetensors_without_vaelib_metadata_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CheckpointError, match="metadata"):
        load_model(path)


class _Payload:
    """An object whose unpickling would run code (here: create a marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_with_an_arbitrary_object_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"weights": _Payload(str(marker))}, handle)
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_model(path)
    assert not marker.exists()


def test_missing_file_and_random_bytes(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00\x01not a weights file at all")
    with pytest.raises(CheckpointError):
        load_model(junk)


def test_save_refuses_other_modules_and_bad_metadata(tmp_path):
    with pytest.raises(TypeError):
        save_model(torch.nn.Linear(2, 2), tmp_path / "x.safetensors")
    with pytest.raises(ValueError):
        save_model(VAE(), tmp_path / "x.safetensors", extra={"kind": "override"})
