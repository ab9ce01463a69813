"""Differentiable augmentation (DiffAugment): random, differentiable transforms of the critic's inputs.

Each operation is a deterministic function of the images and of parameters
drawn per example (:func:`diff_augment_params`); :func:`diff_augment` draws
them from a key and applies the policy's operations in order. Images are
NHWC in [-1, 1], the range the paper's code assumes.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from jaxgan._src import validation

POLICIES = ("color", "translation", "cutout")
# The operations each policy entry stands for, in the order they are applied.
_OPERATIONS = {"color": ("brightness", "saturation", "contrast"), "translation": ("translation",),
               "cutout": ("cutout",)}
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _check_images(x, name="x") -> jax.Array:
  x = validation.check_batch(x, name)
  if x.ndim != 4:
    raise ValueError(f"`{name}` must be NHWC images of shape (batch, H, W, C), got shape {tuple(x.shape)}.")
  return x


def _check_params(values, name: str, shape: tuple[int, ...]) -> jax.Array:
  values = jnp.asarray(values)
  if values.shape != shape:
    raise ValueError(f"`{name}` must have shape {shape} (one entry per image), got shape {tuple(values.shape)}.")
  return values


def _per_example(values, x):
  """`(batch,)` values in the dtype of `x`, broadcastable against its `(batch, H, W, C)`."""
  return jnp.asarray(values).astype(x.dtype)[:, None, None, None]


def adjust_brightness(x: jax.Array, delta: jax.Array) -> jax.Array:
  r"""Adds a per-example offset: :math:`x + \delta_b` (DiffAugment draws :math:`\delta \sim U(-0.5, 0.5)`).

  Args:
    x: images `(batch, H, W, C)`.
    delta: offsets, shape `(batch,)`.

  Returns:
    Images of the shape of `x`.
  """
  x = _check_images(x)
  return x + _per_example(_check_params(delta, "delta", x.shape[:1]), x)


def adjust_saturation(x: jax.Array, factor: jax.Array) -> jax.Array:
  r"""Scales each pixel's deviation from its channel mean: :math:`(x - \bar x_{pix}) s_b + \bar x_{pix}`.

  :math:`\bar x_{pix}` is the mean over the channels of each pixel;
  DiffAugment draws :math:`s \sim U(0, 2)`.

  Args:
    x: images `(batch, H, W, C)`.
    factor: factors, shape `(batch,)`.

  Returns:
    Images of the shape of `x`.
  """
  return _scale_deviation(x, factor, axis=-1)


def adjust_contrast(x: jax.Array, factor: jax.Array) -> jax.Array:
  r"""Scales each image's deviation from its mean: :math:`(x - \bar x_{img}) s_b + \bar x_{img}`.

  :math:`\bar x_{img}` is the mean over the pixels and channels of the
  image; DiffAugment draws :math:`s \sim U(0.5, 1.5)`.

  Args:
    x: images `(batch, H, W, C)`.
    factor: factors, shape `(batch,)`.

  Returns:
    Images of the shape of `x`.
  """
  return _scale_deviation(x, factor, axis=(1, 2, 3))


def _scale_deviation(x, factor, axis):
  """`(x - mean) * factor_b + mean`, the mean over `axis` (saturation: channels; contrast: the whole image)."""
  x = _check_images(x)
  factor = _check_params(factor, "factor", x.shape[:1])
  mean = jnp.mean(x, axis=axis, keepdims=True)
  return (x - mean) * _per_example(factor, x) + mean


def _translate_one(image, shift):
  height, width = image.shape[:2]
  rows, cols = jnp.arange(height) - shift[0], jnp.arange(width) - shift[1]
  inside = ((rows >= 0) & (rows < height))[:, None] & ((cols >= 0) & (cols < width))[None, :]
  moved = image[jnp.clip(rows, 0, height - 1)][:, jnp.clip(cols, 0, width - 1)]
  return jnp.where(inside[..., None], moved, jnp.zeros_like(moved))


def translate(x: jax.Array, shift: jax.Array) -> jax.Array:
  r"""Moves each image by whole pixels, filling with zeros: :math:`y[i, j] = x[i - s_0, j - s_1]`.

  The pixel at `(i, j)` lands at `(i + shift[b, 0], j + shift[b, 1])`;
  what leaves the frame is dropped, what enters is 0.

  Args:
    x: images `(batch, H, W, C)`.
    shift: integer shifts `(rows, columns)` per example, shape `(batch, 2)`.

  Returns:
    Images of the shape of `x`.
  """
  x = _check_images(x)
  return jax.vmap(_translate_one)(x, _check_params(shift, "shift", (x.shape[0], 2)))


def cutout_size(height: int, width: int) -> tuple[int, int]:
  """The cut rectangle's `(rows, columns)`: half the image's side, rounded (a square for square images)."""
  return int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5)


def cutout(x: jax.Array, corner: jax.Array) -> jax.Array:
  r"""Zeroes a rectangle of :func:`cutout_size` per image, its top-left pixel at `corner`.

  The rectangle covers rows `corner[b, 0] ... corner[b, 0] + h - 1` and
  columns likewise; the part outside the image (corners may be negative or
  near the far edge) is ignored.

  Args:
    x: images `(batch, H, W, C)`.
    corner: integer top-left `(row, column)` per example, shape `(batch, 2)`.

  Returns:
    Images of the shape of `x`.
  """
  x = _check_images(x)
  corner = _check_params(corner, "corner", (x.shape[0], 2))
  size = cutout_size(*x.shape[1:3])
  rows = jnp.arange(x.shape[1])[None, :] - corner[:, :1]
  cols = jnp.arange(x.shape[2])[None, :] - corner[:, 1:]
  cut = ((rows >= 0) & (rows < size[0]))[:, :, None] & ((cols >= 0) & (cols < size[1]))[:, None, :]
  return jnp.where(cut[..., None], jnp.zeros_like(x), x)


def _operations(policy) -> tuple[str, ...]:
  if isinstance(policy, str) or not isinstance(policy, Sequence):
    raise TypeError(f"`policy` must be a sequence of names from {POLICIES}, got {policy!r}.")
  for name in policy:
    validation.check_choice(name, "DiffAugment policy", POLICIES)
  if len(set(policy)) != len(policy):
    raise ValueError(f"`policy` names an operation twice: {tuple(policy)}.")
  return tuple(op for name in policy for op in _OPERATIONS[name])


def diff_augment_params(rng_key: jax.Array, shape, policy: Sequence[str] = POLICIES) -> dict[str, jax.Array]:
  r"""Draws the per-example parameters of the policy's operations, as the paper's code does.

  For a batch of `B` images of `H x W` pixels:

  - `"brightness"`: :math:`\delta \sim U(-0.5, 0.5)`, `(B,)`;
  - `"saturation"`: :math:`s \sim U(0, 2)`, `(B,)`;
  - `"contrast"`: :math:`s \sim U(0.5, 1.5)`, `(B,)`;
  - `"translation"`: integer shifts uniform in :math:`\{-t, \dots, t\}`,
    :math:`t = \lfloor H/8 + 1/2 \rfloor` for rows and likewise for
    columns, `(B, 2)`;
  - `"cutout"`: the rectangle's centre uniform in :math:`\{0, \dots, H - (h \bmod 2)\}`
    (rows; columns likewise), returned as its top-left corner
    `centre - h // 2`, `(B, 2)` (:math:`(h, w)` from :func:`cutout_size`).

  `"color"` draws the first three. Each operation gets its own key.

  Args:
    rng_key: a JAX PRNG key.
    shape: the images' shape `(B, H, W, C)`.
    policy: names from `POLICIES`, each at most once.

  Returns:
    A dict from operation name to its parameters.
  """
  operations = _operations(policy)
  if len(shape) != 4:
    raise ValueError(f"`shape` must be an NHWC image batch shape (batch, H, W, C), got {tuple(shape)}.")
  batch, height, width = shape[:3]
  keys = dict(zip(operations, jax.random.split(rng_key, len(operations))))
  params = {}
  if "brightness" in keys:
    params["brightness"] = jax.random.uniform(keys["brightness"], (batch,), minval=-0.5, maxval=0.5)
  if "saturation" in keys:
    params["saturation"] = jax.random.uniform(keys["saturation"], (batch,), minval=0.0, maxval=2.0)
  if "contrast" in keys:
    params["contrast"] = jax.random.uniform(keys["contrast"], (batch,), minval=0.5, maxval=1.5)
  if "translation" in keys:
    limit = jnp.array([int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)])
    params["translation"] = jax.random.randint(keys["translation"], (batch, 2), -limit, limit + 1)
  if "cutout" in keys:
    size = jnp.array(cutout_size(height, width))
    centre = jax.random.randint(keys["cutout"], (batch, 2), 0, jnp.array([height, width]) + 1 - size % 2)
    params["cutout"] = centre - size // 2
  return params


_APPLY = {"brightness": adjust_brightness, "saturation": adjust_saturation, "contrast": adjust_contrast,
          "translation": translate, "cutout": cutout}


def diff_augment(rng_key: jax.Array, x: jax.Array, policy: Sequence[str] = POLICIES) -> jax.Array:
  r"""Differentiable augmentation of a batch of critic inputs.

  .. math::
    L_D = \mathbb{E}\, f(D(T(x))) + \mathbb{E}\, g(D(T(G(z)))), \qquad
    L_G = \mathbb{E}\, h(D(T(G(z))))

  for any GAN objective `(f, g, h)`, with a fresh random transform `T` per
  sample and per call.

  Applies the policy's operations in order (`"color"`: brightness, then
  saturation, then contrast; `"translation"`: integer shifts up to 1/8 of
  the image with zero padding; `"cutout"`: a rectangle of half the image's
  sides zeroed at a random place) with parameters from
  :func:`diff_augment_params`. Every operation is differentiable in `x`
  (the parameters are drawn, not learned), so the generator is trained
  through the augmentation. The caller applies the same policy to the real
  and the fake batch, in the critic's and in the generator's step, with
  independent keys per call; the same key gives the same output.

  Args:
    rng_key: a JAX PRNG key.
    x: images `(batch, H, W, C)`, values in [-1, 1].
    policy: names from `POLICIES` (`"color"`, `"translation"`, `"cutout"`),
      each at most once; `()` returns `x`.

  Returns:
    Augmented images of the shape and dtype of `x`.

  References:
    Zhao et al., Differentiable Augmentation for Data-Efficient GAN
    Training, NeurIPS 2020, Section 3 and Figure 4.
    https://arxiv.org/abs/2006.10738
  """
  x = _check_images(x)
  params = diff_augment_params(rng_key, x.shape, policy)
  for operation in _operations(policy):
    x = _APPLY[operation](x, params[operation])
  return x


def diff_augmentation(policy: Sequence[str] = POLICIES):
  """DiffAugment as a train-step augmentation: `augment(rng_key, x, step) -> diff_augment(rng_key, x, policy)`.

  Pass it as `jg.train.GAN(augment=...)`: the step augments the real and the
  fake batch (independent draws) wherever the critic sees them, and the
  generator's gradient flows through the augmentation (Zhao et al. 2020,
  Sec. 3, "augment both real and fake, for D and G").
  """
  _operations(policy)  # refuses a bad policy now, not at trace time

  def augment(rng_key, x, step):
    del step  # the same policy at every step
    return diff_augment(rng_key, x, policy)

  return augment
