"""Orbax checkpoints of a train state with its config, and optionally the data pipeline's state, beside it.

Saves are asynchronous and atomic (Orbax writes to a temporary directory and
renames it when complete), so a run killed mid-save leaves the previous
checkpoints readable. Restoring checks that the saved config matches the
run's on the keys that shape the state, and raises before anything is
written when it does not.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable

import jax
import orbax.checkpoint as ocp

from jaxgan._src import validation


class CheckpointError(RuntimeError):
  """A checkpoint directory is missing, unreadable, or belongs to another config."""


def _jsonable(config: dict) -> dict:
  return json.loads(json.dumps(config, default=str))


class Checkpointer:
  """Saves and restores a pytree train state, its config and (optionally) the data pipeline's state with Orbax.

  Args:
    directory: checkpoint directory (created if absent).
    save_every: save when `step % save_every == 0` (and whenever `force=True`).
    keep: number of most recent checkpoints kept.
    config: the run's config (JSON-serialisable dict) saved beside each state.
    match_keys: config keys that must agree with a saved config on restore
      (default: all keys of `config`).
    defaults: the value a key takes when a saved config lacks it (a field added
      after that checkpoint was written, whose default keeps the old behaviour);
      a key in neither is a mismatch.
    async_save: let Orbax write in a background thread.
  """

  def __init__(
      self,
      directory: str | os.PathLike,
      *,
      save_every: int,
      keep: int = 3,
      config: dict | None = None,
      match_keys: Iterable[str] | None = None,
      defaults: dict | None = None,
      async_save: bool = True,
  ):
    self.directory = os.path.abspath(os.fspath(directory))
    self.save_every = validation.check_positive_int(save_every, "save_every")
    self.config = _jsonable(config or {})
    self.match_keys = tuple(self.config if match_keys is None else match_keys)
    self.defaults = _jsonable(defaults or {})
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(
            max_to_keep=validation.check_positive_int(keep, "keep"),
            create=True,
            enable_async_checkpointing=async_save,
        ),
    )

  def latest_step(self) -> int | None:
    """The newest complete checkpoint's step, or None."""
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: Any, *, force: bool = False, data_state: dict | None = None) -> bool:
    """Saves `state` at `step` if due (or forced); returns whether a save started.

    `data_state`, a JSON-serialisable dict such as a grain iterator's
    `get_state()`, is saved in the same checkpoint step, so the data pipeline
    restored with :meth:`restore_data_state` resumes where the state left off.
    """
    if not force and step % self.save_every:
      return False
    if step in self._manager.all_steps():
      return False
    items = {"state": ocp.args.StandardSave(state), "config": ocp.args.JsonSave(self.config)}
    if data_state is not None:
      items["data_state"] = ocp.args.JsonSave(data_state)
    return self._manager.save(step, args=ocp.args.Composite(**items), force=True)

  def saved_config(self, step: int | None = None) -> dict:
    """The config stored with checkpoint `step` (default: latest)."""
    step = self._require_step(step)
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore()))
    except Exception as e:  # noqa: BLE001 - any read failure is reported as one clear error
      raise CheckpointError(f"Checkpoint {step} in {self.directory} has no readable config: {e}") from e
    return restored.config

  def restore_data_state(self, step: int | None = None) -> dict | None:
    """The data state saved with checkpoint `step` (default: latest), or None if that save had none."""
    step = self._require_step(step)
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(data_state=ocp.args.JsonRestore()))
    except KeyError:  # Orbax: no such item in this checkpoint
      return None
    except Exception as e:  # noqa: BLE001 - any read failure is reported as one clear error
      raise CheckpointError(f"Checkpoint {step} in {self.directory} has an unreadable data state: {e}") from e
    return restored.data_state

  def check_config(self, step: int | None = None) -> None:
    """Raises `CheckpointError` if the saved config differs on `match_keys`."""
    saved = {**self.defaults, **self.saved_config(step)}
    diffs = [
        f"{k}: saved {saved.get(k, '<missing>')!r}, now {self.config.get(k, '<missing>')!r}"
        for k in self.match_keys
        if saved.get(k, "<missing>") != self.config.get(k, "<missing>")
    ]
    if diffs:
      raise CheckpointError(
          f"The checkpoints in {self.directory} were written by a different config ("
          + "; ".join(diffs)
          + "). Use another work directory or the original config; nothing was overwritten."
      )

  def restore(self, abstract_state: Any, step: int | None = None) -> Any:
    """Restores the state at `step` (default: latest) into `abstract_state`'s structure.

    Args:
      abstract_state: a state (or `jax.eval_shape` of one) giving the tree
        structure, shapes, dtypes and shardings, typed keys included.
      step: which checkpoint; default the latest.

    Returns:
      The restored state.

    Raises:
      CheckpointError: missing directory/checkpoint, config mismatch, or
        unreadable (corrupt) files.
    """
    step = self._require_step(step)
    self.check_config(step)
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, abstract_state)
    try:
      restored = self._manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(target)))
    except Exception as e:  # noqa: BLE001
      raise CheckpointError(
          f"Checkpoint {step} in {self.directory} could not be restored into the expected state"
          f" structure (corrupt files, or a model/optimiser different from the saved one): {e}"
      ) from e
    return restored.state

  def _require_step(self, step: int | None) -> int:
    if not os.path.isdir(self.directory):
      raise CheckpointError(f"Checkpoint directory {self.directory} does not exist.")
    steps = self._manager.all_steps()
    if step is None:
      if not steps:
        raise CheckpointError(f"No complete checkpoint in {self.directory}.")
      return max(steps)
    if step not in steps:
      raise CheckpointError(f"No checkpoint for step {step} in {self.directory}; available: {sorted(steps)}.")
    return step

  def wait(self) -> None:
    """Blocks until pending asynchronous saves are committed."""
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
