"""A player of the GAN game as two pure functions, from a Flax Linen module, a Flax NNX module or plain functions.

Every player (generator, critic) reaches the train step as a :class:`Player`:

* `init(rng_key, example, *conditioning) -> (params, model_state)`: trainable
  parameters and the non-trainable model state (batch statistics,
  spectral-norm vectors; `{}` if none);
* `apply(params, model_state, x, *conditioning) -> (output, new_model_state)`:
  the training call (batch norm normalises with the batch's statistics and
  updates its running averages; spectral-norm vectors advance);
* `evaluate(params, model_state, x, *conditioning) -> output`: the
  evaluation call, which changes no state (batch norm normalises with its
  running averages, so samples do not depend on each other or on the size
  of the batch); what :meth:`jaxgan.train.GAN.generator_fn` and
  :meth:`~jaxgan.train.GAN.sample` use.

`conditioning` is empty for an unconditional GAN and `(labels,)` (int
`(batch,)`) for a conditional one (`GAN(num_classes=...)`): the generator is
called as `G(z, labels)` and the critic as `D(x, labels)`.

All three are pure, so the step can be differentiated, jitted and vmapped over
runs. A Linen module is wrapped with `module.init` / `module.apply` (every
collection other than `params` is model state and is mutable during the
training call, and immutable during the evaluation call: a layer reads
`module.is_mutable_collection("batch_stats")` to tell them apart). An NNX
module is split once (`nnx.split(module, nnx.Param, ...)`) and merged inside
`apply` (flax's "functional training loop"), and evaluated after
`module.eval()`; its params are the module's own weights, so `init` ignores
the key (pass `Player(init_fn, apply_fn)` built around an NNX factory for
per-key weights).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax import nnx

from jaxgan._src.models.mlp import init_linen


class Player(NamedTuple):
  """A generator or critic as pure functions.

  Attributes:
    init: `(rng_key, example (1, ...), *conditioning) -> (params, model_state)`.
    apply: `(params, model_state, x, *conditioning) -> (output, new_model_state)`
      (`conditioning`: `(labels,)` in a conditional GAN, else empty); a critic's
      output is scores `(batch,)` or `(batch, 1)`, or a dict with `"scores"`
      and extra per-sample outputs (e.g. `"embeddings"`) that an objective asks
      for (`Objective.extras`).
    evaluate: `(params, model_state, x, *conditioning) -> output` without
      state updates (batch norm on running averages), or None: the output of
      `apply` (a player without such layers).
  """

  init: Callable[..., tuple[Any, Any]]
  apply: Callable[..., tuple[Any, Any]]
  evaluate: Callable[..., Any] | None = None

  def output(self, params, model_state, x, *conditioning):
    """The evaluation output: `evaluate`, or `apply`'s output with its state update dropped."""
    if self.evaluate is None:
      return self.apply(params, model_state, x, *conditioning)[0]
    return self.evaluate(params, model_state, x, *conditioning)


def _linen_player(module: nn.Module) -> Player:
  def init(rng_key, example, *conditioning):
    return init_linen(module, rng_key, example, *conditioning)

  def apply(params, model_state, x, *conditioning):
    if not model_state:
      return module.apply({"params": params}, x, *conditioning), model_state
    output, new_state = module.apply({"params": params, **model_state}, x, *conditioning,
                                     mutable=list(model_state))
    return output, dict(new_state)

  def evaluate(params, model_state, x, *conditioning):
    return module.apply({"params": params, **model_state}, x, *conditioning)

  return Player(init, apply, evaluate)


def _nnx_player(module: nnx.Module) -> Player:
  graphdef, params, model_state = nnx.split(module, nnx.Param, ...)

  def init(rng_key, example, *conditioning):
    del rng_key, example, conditioning  # an NNX module carries its own weights
    return jax.tree.map(jnp.array, params), jax.tree.map(jnp.array, model_state)

  def merged(params, model_state):
    # Rebuilt at the caller's trace level: a state closed over from an outer trace (a `lax.scan` body's
    # closure) cannot be mutated (flax TraceContextError), which batch statistics are.
    params, model_state = jax.tree.map(lambda v: v, (params, model_state))
    return nnx.merge(graphdef, params, model_state)

  def apply(params, model_state, x, *conditioning):
    model = merged(params, model_state)
    output = model(x, *conditioning)
    return output, nnx.split(model, nnx.Param, ...)[2]

  def evaluate(params, model_state, x, *conditioning):
    model = merged(params, model_state)
    model.eval()  # batch norm on its running averages, dropout off
    return model(x, *conditioning)

  return Player(init, apply, evaluate)


def as_player(player, name: str) -> Player:
  """A :class:`Player` from a Linen module, an NNX module or a `Player`; anything else is a `TypeError` naming `name`."""
  if isinstance(player, Player):
    return player
  if isinstance(player, nn.Module):
    return _linen_player(player)
  if isinstance(player, nnx.Module):
    return _nnx_player(player)
  raise TypeError(
      f"`{name}` must be a Flax Linen module, a Flax NNX module or a jaxgan.train.Player(init_fn, apply_fn),"
      f" got {type(player).__name__}."
  )


_HINTS = {  # which built-in critic returns each extra output
    "embeddings": "e.g. jg.models.MLPAutoencoderCritic(return_embeddings=True)",
    "features": "e.g. jg.models.MLPCritic(return_features=True)",
    "class_logits": "e.g. jg.models.MLPCritic(num_classes=C, conditioning='auxiliary')",
}


def critic_scores(output, batch_size: int, extras: tuple[str, ...] = ()) -> tuple[jax.Array, dict]:
  """Splits a critic's output into scores `(batch,)` and the named extra outputs; checks their shapes."""
  if isinstance(output, dict):
    if "scores" not in output:
      raise ValueError(f"A critic returning a dict must include 'scores'; got keys {sorted(output)}.")
    missing = [k for k in extras if k not in output]
    if missing:
      raise ValueError(
          f"The train step needs the critic outputs {missing} beside the scores; the critic returned"
          f" {sorted(output)}. Return a dict {{'scores': ..., {', '.join(repr(k) for k in missing)}: ...}}"
          f" ({_HINTS.get(missing[0], _HINTS['embeddings'])})."
      )
    scores, extra = output["scores"], {k: output[k] for k in extras}
  else:
    if extras:
      raise ValueError(
          f"The train step needs the critic outputs {list(extras)} beside the scores, but the critic returned"
          f" only scores. Return a dict {{'scores': ..., ...}} ({_HINTS.get(extras[0], _HINTS['embeddings'])})."
      )
    scores, extra = output, {}
  shape = getattr(scores, "shape", None)
  if shape == (batch_size, 1):
    scores = scores[:, 0]
  elif shape != (batch_size,):
    raise ValueError(
        f"The critic must return scores of shape (batch,) or (batch, 1); for a batch of {batch_size} it"
        f" returned shape {shape}."
    )
  return scores, extra
