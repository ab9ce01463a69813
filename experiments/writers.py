"""TensorBoard event files for the experiments: scalars and sample images, written on process 0 only.

`metrics.jsonl` stays the record a run is read back from; this writer adds
event files under `<workdir>/tensorboard/` for `tensorboard --logdir runs`.
They are written with tensorboardX, which needs no TensorFlow
(`clu.metric_writers` and `flax.metrics.tensorboard` import it). As flax's
metric writers, only process 0 writes; on the others every call does nothing.
"""

from __future__ import annotations

import jax
import numpy as np
import tensorboardX


class TensorBoardWriter:
  """`write_scalars(step, {name: value})`, `write_images(step, name, image)`, `close()`.

  `purge_step` tells TensorBoard to drop the events an earlier, interrupted
  process logged at that step or later: a run resuming from step `s` passes
  `s + 1`, as `metrics.jsonl` is truncated to the lines up to step `s`.
  """

  def __init__(self, logdir: str, *, purge_step: int | None = None):
    self._writer = tensorboardX.SummaryWriter(logdir, purge_step=purge_step) if jax.process_index() == 0 else None

  def write_scalars(self, step: int, scalars: dict) -> None:
    if self._writer is None:
      return
    for name, value in scalars.items():
      self._writer.add_scalar(name, float(value), step)
    self._writer.flush()

  def write_images(self, step: int, name: str, image) -> None:
    """Logs one image `(H, W)` or `(H, W, C)`, C in {1, 3, 4}: uint8, or float in [0, 1] (clipped)."""
    if self._writer is None:
      return
    image = np.asarray(image)
    if image.dtype != np.uint8:
      image = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    if image.ndim == 2 or image.shape[-1] == 1:  # PIL encodes grey images as (H, W), TensorBoard takes C in {3, 4}
      image = np.repeat(image.reshape(*image.shape[:2], 1), 3, axis=-1)
    self._writer.add_image(name, image, step, dataformats="HWC")
    self._writer.flush()

  def close(self) -> None:
    if self._writer is not None:
      self._writer.close()
