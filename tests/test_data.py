"""vaelib.data: checksums, parsing, binarization, batching, and the errors for missing/corrupt files."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest
import torch

import vaelib
from vaelib import data

UNCOMPRESSED_SHA256 = {  # published in data/mnist/README.md; independent of the .gz hashes the loader checks
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@pytest.fixture(scope="module")
def test_split():
    return data.load_mnist("test")


def test_shipped_files_match_published_uncompressed_checksums():
    for name, expected in UNCOMPRESSED_SHA256.items():
        raw = gzip.decompress((data.DEFAULT_DATA_DIR / name).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == expected


def test_test_split_shapes_ranges_and_labels(test_split):
    assert test_split.images.shape == (10000, 784)
    assert test_split.images.dtype == torch.float32
    assert test_split.labels.shape == (10000,) and test_split.labels.dtype == torch.int64
    assert test_split.images.min() == 0.0 and test_split.images.max() == 1.0
    # every digit occurs, roughly 1,000 times each (MNIST test set: 892 to 1,135)
    counts = torch.bincount(test_split.labels, minlength=10)
    assert counts.min() >= 800 and counts.max() <= 1200


def test_pixels_equal_raw_bytes_over_255(test_split):
    raw = gzip.decompress((data.DEFAULT_DATA_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
    first = np.frombuffer(raw, dtype=np.uint8, offset=16, count=784).astype(np.float32) / 255
    np.testing.assert_array_equal(test_split.images[0].numpy(), first)
    labels = gzip.decompress((data.DEFAULT_DATA_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert test_split.labels[:5].tolist() == list(labels[8:13])


def test_raw_pixels_are_the_file_bytes_and_match_the_float_images(test_split):
    raw = gzip.decompress((data.DEFAULT_DATA_DIR / "t10k-images-idx3-ubyte.gz").read_bytes())
    pixels = data.load_mnist_pixels("test")
    assert pixels.dtype == np.uint8 and pixels.shape == (10_000, 784)
    assert pixels.tobytes() == raw[16:]  # everything after the 16-byte IDX header
    np.testing.assert_array_equal(pixels.astype(np.float32) / 255, test_split.images.numpy())
    with pytest.raises(ValueError, match="split"):
        data.load_mnist_pixels("validation")


def test_subset_is_seeded_and_without_replacement(test_split):
    a = data.load_mnist("test", subset=500, seed=3)
    b = data.load_mnist("test", subset=500, seed=3)
    c = data.load_mnist("test", subset=500, seed=4)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert len(a) == 500
    assert len({tuple(row.tolist()) for row in a.images[:, 300:320]}) > 100  # distinct images


@pytest.mark.parametrize("bad", [0, -5, 10001, 2.5, True])
def test_subset_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="subset"):
        data.load_mnist("test", subset=bad)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("validation")


def _copy_data(tmp_path):
    for name in data.SHA256:
        shutil.copy(data.DEFAULT_DATA_DIR / name, tmp_path / name)
    return tmp_path


def test_missing_file_names_path_and_remedy(tmp_path):
    folder = _copy_data(tmp_path)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.gz") as info:
        data.load_mnist("test", data_dir=folder)
    assert "git checkout" in str(info.value)


def test_corrupt_file_names_file_and_both_checksums(tmp_path):
    folder = _copy_data(tmp_path)
    path = folder / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    actual = hashlib.sha256(bytes(raw)).hexdigest()
    with pytest.raises(data.ChecksumError) as info:
        data.load_mnist("test", data_dir=folder)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in message
    assert data.SHA256["t10k-labels-idx1-ubyte.gz"] in message and actual in message


def test_binarize_is_bernoulli_with_pixel_probability():
    probs = torch.tensor([[0.0, 0.25, 0.5, 1.0]]).repeat(20000, 1)
    draws = data.binarize(probs, torch.Generator().manual_seed(0))
    assert set(draws.unique().tolist()) <= {0.0, 1.0}
    # column means within 5 standard errors of the probabilities
    se = (probs[0] * (1 - probs[0]) / 20000).sqrt()
    assert torch.all((draws.mean(0) - probs[0]).abs() <= 5 * se + 1e-12)


def test_binarize_is_fresh_each_call_and_seeded():
    x = torch.full((4, 784), 0.5)
    g = torch.Generator().manual_seed(1)
    first, second = data.binarize(x, g), data.binarize(x, g)
    assert not torch.equal(first, second)
    assert torch.equal(first, data.binarize(x, torch.Generator().manual_seed(1)))


def test_binarize_rejects_bad_input():
    with pytest.raises(TypeError):
        data.binarize(torch.ones(2, 3, dtype=torch.int64), torch.Generator())
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize(torch.full((2, 3), 1.5), torch.Generator())


def test_iterate_batches_covers_every_row_once():
    x = torch.arange(1000, dtype=torch.float32).unsqueeze(1)
    batches = list(data.iterate_batches(x, 128, torch.Generator().manual_seed(0)))
    assert [len(b) for b in batches] == [128] * 7 + [104]
    seen = torch.cat(batches).squeeze(1)
    assert sorted(seen.tolist()) == list(range(1000))
    assert not torch.equal(seen, x.squeeze(1))  # shuffled
    again = torch.cat(list(data.iterate_batches(x, 128, torch.Generator().manual_seed(0)))).squeeze(1)
    assert torch.equal(seen, again)
    ordered = torch.cat(list(data.iterate_batches(x, 128, shuffle=False))).squeeze(1)
    assert torch.equal(ordered, x.squeeze(1))


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_iterate_batches_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        next(data.iterate_batches(torch.zeros(4, 2), bad))


def test_pixels_are_kept_as_bytes_and_images_are_converted_on_demand():
    test = vaelib.load_mnist("test")
    assert test.pixels.dtype == torch.uint8 and test.pixels.shape == (10000, 784)
    images = test.images
    assert images.dtype == torch.float32 and images.data_ptr() != test.images.data_ptr()  # a new tensor each time
    torch.testing.assert_close(images, test.pixels.double().div(255).float())
    assert images.min() == 0 and images.max() == 1


def test_batches_of_bytes_come_out_as_intensities():
    pixels = torch.tensor([[0, 255, 51]], dtype=torch.uint8).repeat(5, 1)
    batches = list(vaelib.iterate_batches(pixels, 2, shuffle=False))
    assert [b.dtype for b in batches] == [torch.float32] * 3
    torch.testing.assert_close(torch.cat(batches), torch.tensor([[0.0, 1.0, 0.2]]).repeat(5, 1))
    floats = torch.rand(4, 3, dtype=torch.float64)
    assert torch.equal(torch.cat(list(vaelib.iterate_batches(floats, 3, shuffle=False))), floats)  # unchanged


def test_fit_on_bytes_equals_fit_on_intensities():
    from vaelib import VAE, ModelConfig, TrainConfig

    pixels = vaelib.load_mnist("test").pixels[:512]
    config = TrainConfig(num_epochs=1, batch_size=64, progress=False, binarize=True)
    models = [VAE(ModelConfig(hidden_dims=(16,), latent_dim=2), seed=1) for _ in range(2)]
    from_bytes = vaelib.fit(models[0], pixels, config).records[0].train_loss
    from_floats = vaelib.fit(models[1], pixels / 255, config).records[0].train_loss
    assert from_bytes == from_floats
