"""MNIST from the four original IDX files shipped in ``data/mnist/``.

Nothing is downloaded: the files live in the repository, and every load checks their SHA-256
against the values published with them (``data/mnist/README.md``). The pixels stay as they are
stored, one uint8 tensor of shape (N, 784) with values 0..255 (47 MB for the training set, a quarter
of float32); labels are int64 of shape (N,). ``MNIST.images`` converts to float32 intensities in
[0, 1] on demand, and everything that walks through a data set in batches (``fit``, the evaluators)
takes the bytes directly and converts one batch at a time, so no float copy of the training set is
ever kept (a learner's session on Binder has 2 GB for everything).

Training reads batches by slicing that one tensor with a seeded permutation
(:func:`iterate_batches`), which avoids the per-item ``Dataset``/``DataLoader`` machinery.
Dynamic binarization (a fresh Bernoulli draw of every pixel each time an image is used) follows
Burda, Grosse & Salakhutdinov (2015), "Importance Weighted Autoencoders", section 5.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .paths import DATA_DIR

IMAGE_SIDE = 28
NUM_PIXELS = IMAGE_SIDE * IMAGE_SIDE  # 784
DEFAULT_DATA_DIR = DATA_DIR

# SHA-256 of the .gz files as shipped (data/mnist/README.md).
SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
_IMAGE_MAGIC, _LABEL_MAGIC = 0x00000803, 0x00000801


class ChecksumError(ValueError):
    """A data file exists but its bytes are not the ones the course ships."""


@dataclass(frozen=True)
class MNIST:
    """One split of MNIST: ``pixels`` (N, 784) uint8 in 0..255 as stored, and ``labels`` (N,) int64."""

    pixels: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.pixels.shape[0]

    @property
    def images(self) -> torch.Tensor:
        """The images as float32 intensities in [0, 1], (N, 784): a new tensor on every access
        (188 MB for the training set). Slice the pixels first for a few images: ``split.pixels[:40] / 255``."""
        return as_images(self.pixels)


def as_images(x: torch.Tensor) -> torch.Tensor:
    """Pixel intensities as floats: uint8 bytes 0..255 become float32 in [0, 1]; floating tensors pass unchanged."""
    if not torch.is_tensor(x):
        raise TypeError(f"as_images expects a torch.Tensor, got {type(x).__name__}")
    return x.to(torch.float32).div_(255.0) if x.dtype == torch.uint8 else x


def _read_verified(path: Path) -> bytes:
    """Return the uncompressed bytes of one shipped file after checking its checksum."""
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file not found: {path}. The course ships it in data/mnist/; restore it with "
            f"`git checkout -- data/mnist` from the repository root (or copy it from a fresh clone)."
        )
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    expected = SHA256[path.name]
    if actual != expected:
        raise ChecksumError(
            f"MNIST file {path} is corrupt: expected SHA-256 {expected}, got {actual}. "
            f"Restore it with `git checkout -- data/mnist`."
        )
    return gzip.decompress(raw)


def _parse_idx(payload: bytes, magic: int, path: Path) -> np.ndarray:
    """Parse an IDX payload (big-endian header, then uint8 data)."""
    ndim = magic & 0xFF
    header = np.frombuffer(payload[: 4 + 4 * ndim], dtype=">u4")
    if header[0] != magic:
        raise ChecksumError(f"{path}: IDX magic number {header[0]:#010x}, expected {magic:#010x}")
    shape = tuple(int(s) for s in header[1:])
    return np.frombuffer(payload, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist_pixels(split: str = "train", data_dir: str | Path | None = None) -> np.ndarray:
    """The raw pixel bytes of one split, checksums verified: uint8 (N, 784), values 0..255.

    A quarter of the memory of :func:`load_mnist`'s float32 images; use it to count or compare pixels.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    image_name = _FILES[split][0]
    images = _parse_idx(_read_verified(folder / image_name), _IMAGE_MAGIC, folder / image_name)
    return images.reshape(len(images), NUM_PIXELS)


def load_mnist(
    split: str = "train",
    data_dir: str | Path | None = None,
    subset: int | None = None,
    seed: int = 0,
) -> MNIST:
    """Load one split of MNIST, checksums verified.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
        data_dir: folder holding the four ``.gz`` files; defaults to the repository's ``data/mnist``.
        subset: if given, keep this many images, drawn without replacement with ``seed``.
        seed: seed of the subset draw (ignored without ``subset``).
    """
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    images = load_mnist_pixels(split, folder)  # checks ``split``
    label_name = _FILES[split][1]
    labels = _parse_idx(_read_verified(folder / label_name), _LABEL_MAGIC, folder / label_name)
    x = torch.from_numpy(images.copy())  # uint8, writable (the parsed bytes are read-only)
    y = torch.from_numpy(labels.astype(np.int64))
    if subset is not None:
        if not isinstance(subset, int) or isinstance(subset, bool) or not 0 < subset <= len(x):
            raise ValueError(f"subset must be an int in [1, {len(x)}], got {subset!r}")
        keep = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:subset]
        x, y = x[keep], y[keep]
    return MNIST(pixels=x, labels=y)


def binarize(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One Bernoulli draw per pixel with probability equal to its grey level (dynamic binarization).

    ``x`` holds intensities in [0, 1] or uint8 pixels; the result is float32 (or ``x``'s float dtype), 0 or 1.
    """
    if torch.is_tensor(x) and x.dtype == torch.uint8:
        x = as_images(x)
    if not torch.is_tensor(x) or not x.is_floating_point():
        raise TypeError(
            f"binarize expects a floating-point or uint8 tensor, got {getattr(x, 'dtype', type(x).__name__)}"
        )
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError("binarize expects grey levels in [0, 1]")
    return torch.bernoulli(x, generator=generator)


def iterate_batches(
    x: torch.Tensor,
    batch_size: int,
    generator: torch.Generator | None = None,
    shuffle: bool = True,
) -> Iterator[torch.Tensor]:
    """Yield mini-batches of rows of ``x``; shuffled with ``generator`` when ``shuffle`` is true.

    The last batch may be smaller. Slicing one preloaded tensor costs a single gather per batch.
    uint8 pixels come out as float32 intensities in [0, 1] (:func:`as_images`), one batch at a time.
    """
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    n = x.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            yield as_images(x[start : start + batch_size])
        else:
            yield as_images(x.index_select(0, order[start : start + batch_size]))
