"""The GAN train state and one jitted train step.

`train_step(state, batch) -> (state, metrics)` runs `n_critic` critic
updates (a `lax.scan`, one real microbatch each) and one generator update.
Per-step randomness is `jax.random.fold_in(state.rng_key, state.step)`, so a
run is a pure function of (config, seed) and resumes exactly. The same step
runs data-parallel: with a mesh, the batch is sharded on its `"data"` axis,
the state replicated, and XLA inserts the cross-device reductions, so
gradients are the global batch means (identical maths on 1 or N devices).

A non-finite loss, penalty or gradient norm never enters the state: the
update is rejected inside the step. With `on_nonfinite="raise"` the state
freezes and records the step and the quantity (`check_health` turns that
into a `RuntimeError`, so the last good checkpoint is never overwritten with
NaNs); with `"skip"` the update is dropped, counted, and training goes on.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgan._src import validation
from jaxgan._src.objectives.mutual_information import EntropyEstimator
from jaxgan._src.objectives.registry import Objective
from jaxgan._src.regularizers.lipschitz import lazy_regularization

GeneratorFn = Callable[[Any, jax.Array], jax.Array]
CriticFn = Callable[[Any, Any, jax.Array], tuple[jax.Array, Any]]

NONFINITE_QUANTITIES = ("critic_loss", "penalty", "critic_grad_norm", "generator_loss", "generator_grad_norm")


class Health(NamedTuple):
  """Where training first met a non-finite value (-1: never), and skipped updates."""

  nonfinite_step: jax.Array
  nonfinite_quantity: jax.Array
  skipped_updates: jax.Array


@flax.struct.dataclass
class GANState:
  """Everything a GAN run carries between steps, as one pytree.

  Attributes:
    step: number of completed train steps (generator updates).
    generator_params: generator parameters.
    critic_params: critic parameters.
    generator_opt_state: optax state of the generator's optimiser.
    critic_opt_state: optax state of the critic's optimiser.
    ema_generator_params: exponential moving average of the generator params.
    critic_model_state: non-trainable critic collections (spectral-norm
      vectors in `batch_stats`), `{}` if none.
    objective_state: the objective's state (BEGAN `k_t`, MAGAN margin), `()` if none.
    estimator_params: parameters of the entropy estimator (MEG), `()` if none.
    estimator_opt_state: optax state of the estimator's optimiser, `()` if none.
    rng_key: typed PRNG key (`jax.random.key`); per-step keys are folded from it.
    health: a :class:`Health` record.
  """

  step: jax.Array
  generator_params: Any
  critic_params: Any
  generator_opt_state: Any
  critic_opt_state: Any
  ema_generator_params: Any
  critic_model_state: Any
  objective_state: Any
  estimator_params: Any
  estimator_opt_state: Any
  rng_key: jax.Array
  health: Health


def default_optimizer(learning_rate: float = 1e-4) -> optax.GradientTransformation:
  """Adam(lr, b1=0.5, b2=0.9), the WGAN-GP paper's optimiser (Gulrajani et al. 2017, Algorithm 1)."""
  return optax.adam(learning_rate, b1=0.5, b2=0.9)


def init_state(
    rng_key: jax.Array,
    *,
    generator_params,
    critic_params,
    objective: Objective,
    generator_optimizer: optax.GradientTransformation,
    critic_optimizer: optax.GradientTransformation,
    critic_model_state=None,
    estimator_params=(),
    estimator_optimizer: optax.GradientTransformation | None = None,
) -> GANState:
  """Builds the initial :class:`GANState`.

  Args:
    rng_key: a typed key from `jax.random.key(seed)` (raw uint32 keys are converted).
    generator_params: initial generator parameters.
    critic_params: initial critic parameters.
    objective: the objective (its `init()` gives the objective state).
    generator_optimizer: optax transformation for the generator.
    critic_optimizer: optax transformation for the critic.
    critic_model_state: non-trainable critic collections, e.g. `{"batch_stats": ...}`.
    estimator_params: initial params of the entropy estimator
      (:class:`jaxgan.losses.EntropyEstimator`), `()` without one.
    estimator_optimizer: its optax transformation (default: `generator_optimizer`).

  Returns:
    A :class:`GANState` at step 0.
  """
  if not jnp.issubdtype(rng_key.dtype, jax.dtypes.prng_key):
    rng_key = jax.random.wrap_key_data(rng_key)
  return GANState(
      step=jnp.zeros((), jnp.int32),
      generator_params=generator_params,
      critic_params=critic_params,
      generator_opt_state=generator_optimizer.init(generator_params),
      critic_opt_state=critic_optimizer.init(critic_params),
      ema_generator_params=jax.tree.map(jnp.array, generator_params),
      critic_model_state={} if critic_model_state is None else critic_model_state,
      objective_state=objective.init(),
      estimator_params=estimator_params,
      estimator_opt_state=(estimator_optimizer or generator_optimizer).init(estimator_params),
      rng_key=rng_key,
      health=Health(jnp.array(-1, jnp.int32), jnp.array(-1, jnp.int32), jnp.array(0, jnp.int32)),
  )


def _first_bad(values: list[jax.Array]) -> jax.Array:
  finite = jnp.stack([jnp.isfinite(v) for v in values])
  return jnp.where(jnp.all(finite), -1, jnp.argmin(finite))


def build_train_step(
    *,
    generator_fn: GeneratorFn,
    critic_fn: CriticFn,
    objective: Objective,
    latent_dim: int,
    generator_optimizer: optax.GradientTransformation,
    critic_optimizer: optax.GradientTransformation,
    penalty: Callable | None = None,
    penalty_interval: int = 1,
    n_critic: int = 1,
    ema_decay: float = 0.999,
    on_nonfinite: str = "raise",
    entropy_estimator: EntropyEstimator | None = None,
    entropy_weight: float = 1.0,
    estimator_optimizer: optax.GradientTransformation | None = None,
) -> Callable[[GANState, jax.Array], tuple[GANState, dict]]:
  """Builds the pure (un-jitted) train step; :func:`make_train_step` jits it.

  Args:
    generator_fn: `(params, z) -> x` with `z` of shape `(batch, latent_dim)`.
    critic_fn: `(params, model_state, x) -> (scores (batch,), new_model_state)`.
    objective: a :class:`jaxgan.losses.Objective`.
    latent_dim: size of `z ~ N(0, I)`.
    generator_optimizer: optax transformation.
    critic_optimizer: optax transformation (given `params`, so weight
      clipping can be chained in).
    penalty: optional `(critic_fn, real, fake, rng_key) -> scalar`, e.g.
      `jaxgan.penalties.get("wgan_gp")`.
    penalty_interval: lazy regularisation interval k (penalty every k critic
      updates, weighted by k).
    n_critic: critic updates per generator update.
    ema_decay: decay of the generator EMA, in [0, 1).
    on_nonfinite: `"raise"` (freeze and report) or `"skip"` (drop the update, count it).
    entropy_estimator: optional :class:`jaxgan.losses.EntropyEstimator`; the
      generator then minimises `objective.generator(...) - entropy_weight *
      I(G(z); z)` and the estimator (params in `state.estimator_params`)
      maximises the same estimate, in the same update (the MEG recipe with
      the `energy` objective).
    entropy_weight: weight of the entropy surrogate, >= 0.
    estimator_optimizer: optax transformation of the estimator (default:
      `generator_optimizer`).

  Returns:
    `train_step(state, batch) -> (state, metrics)` where `batch` has shape
    `(n_critic, batch_size, *data_shape)`.
  """
  latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
  n_critic = validation.check_positive_int(n_critic, "n_critic")
  penalty_interval = validation.check_positive_int(penalty_interval, "penalty_interval")
  validation.check_choice(on_nonfinite, "on_nonfinite", ("raise", "skip"))
  if not 0.0 <= ema_decay < 1.0:
    raise ValueError(f"`ema_decay` must lie in [0, 1), got {ema_decay}.")
  validation.check_non_negative(entropy_weight, "entropy_weight")
  if entropy_estimator is not None and not isinstance(entropy_estimator, EntropyEstimator):
    raise TypeError(f"`entropy_estimator` must be a jaxgan.losses.EntropyEstimator, got {type(entropy_estimator)}.")
  estimator_optimizer = estimator_optimizer or generator_optimizer

  def critic_update(carry, inputs):
    critic_params, critic_opt_state, model_state, objective_state, generator_params = carry
    real, key, critic_step = inputs
    z_key, penalty_key = jax.random.split(key)
    batch_size = real.shape[0]
    fake = jax.lax.stop_gradient(generator_fn(generator_params, jax.random.normal(z_key, (batch_size, latent_dim))))

    def loss_fn(params):
      scores, new_model_state = critic_fn(params, model_state, jnp.concatenate([real, fake]))
      real_scores, fake_scores = scores[:batch_size], scores[batch_size:]
      loss = objective.critic(real_scores, fake_scores, state=objective_state)
      reg = jnp.zeros((), loss.dtype)
      if penalty is not None:
        closure = lambda x: critic_fn(params, new_model_state, x)[0]  # noqa: E731
        reg = lazy_regularization(penalty, critic_step, closure, real, fake, penalty_key, interval=penalty_interval)
      return loss + reg, (loss, reg, new_model_state, real_scores, fake_scores)

    grads, (loss, reg, model_state, real_scores, fake_scores) = jax.grad(loss_fn, has_aux=True)(critic_params)
    updates, critic_opt_state = critic_optimizer.update(grads, critic_opt_state, critic_params)
    critic_params = optax.apply_updates(critic_params, updates)
    objective_state, objective_metrics = objective.update(
        objective_state, jax.lax.stop_gradient(real_scores), jax.lax.stop_gradient(fake_scores)
    )
    metrics = {
        "critic_loss": loss,
        "penalty": reg,
        "critic_grad_norm": optax.tree.norm(grads),
        "real_score": jnp.mean(real_scores),
        "fake_score": jnp.mean(fake_scores),
        **objective_metrics,
    }
    return (critic_params, critic_opt_state, model_state, objective_state, generator_params), metrics

  def train_step(state: GANState, batch: jax.Array) -> tuple[GANState, dict]:
    if batch.ndim < 3 or batch.shape[0] != n_critic:
      raise ValueError(
          f"`batch` must have shape (n_critic={n_critic}, batch_size, *data_shape), got {tuple(batch.shape)}."
      )
    key = jax.random.fold_in(state.rng_key, state.step)
    critic_key, generator_key = jax.random.split(key)
    critic_steps = state.step * n_critic + jnp.arange(n_critic)
    carry = (state.critic_params, state.critic_opt_state, state.critic_model_state, state.objective_state,
             state.generator_params)
    # Fully unrolled: n_critic is small, and XLA:CPU runs convolutions inside a
    # while loop ~11x slower than unrolled (benchmarks/RESULTS.md, train step).
    carry, critic_metrics = jax.lax.scan(
        critic_update, carry, (batch, jax.random.split(critic_key, n_critic), critic_steps), unroll=True
    )
    critic_params, critic_opt_state, model_state, objective_state, _ = carry

    real = batch[-1]
    z = jax.random.normal(generator_key, (real.shape[0], latent_dim))

    def generator_loss_fn(params, estimator_params):
      fake = generator_fn(params, z)
      scores, _ = critic_fn(critic_params, model_state, jnp.concatenate([jax.lax.stop_gradient(real), fake]))
      real_scores, fake_scores = scores[: real.shape[0]], scores[real.shape[0]:]
      loss = objective.generator(fake_scores, jax.lax.stop_gradient(real_scores), state=objective_state)
      if entropy_estimator is None:
        return loss, jnp.zeros((), loss.dtype)
      entropy = entropy_estimator.estimate(estimator_params, fake, z)
      return loss - entropy_weight * entropy, entropy

    (generator_loss, entropy), (generator_grads, estimator_grads) = jax.value_and_grad(
        generator_loss_fn, argnums=(0, 1), has_aux=True)(state.generator_params, state.estimator_params)
    updates, generator_opt_state = generator_optimizer.update(
        generator_grads, state.generator_opt_state, state.generator_params
    )
    generator_params = optax.apply_updates(state.generator_params, updates)
    updates, estimator_opt_state = estimator_optimizer.update(
        estimator_grads, state.estimator_opt_state, state.estimator_params
    )
    estimator_params = optax.apply_updates(state.estimator_params, updates)
    ema = optax.incremental_update(generator_params, state.ema_generator_params, 1.0 - ema_decay)

    metrics = jax.tree.map(jnp.mean, critic_metrics)
    metrics["generator_loss"] = generator_loss
    metrics["generator_grad_norm"] = optax.tree.norm(generator_grads)
    if entropy_estimator is not None:
      metrics["entropy_estimate"] = entropy
    # Any non-finite value in any critic update shows up in the sums.
    bad = _first_bad([jnp.sum(critic_metrics[q]) for q in NONFINITE_QUANTITIES[:3]]
                     + [metrics[q] for q in NONFINITE_QUANTITIES[3:]])
    healthy = state.health.nonfinite_step < 0
    accept = (bad < 0) & (healthy if on_nonfinite == "raise" else True)
    candidate = state.replace(
        step=state.step + 1,
        generator_params=generator_params,
        critic_params=critic_params,
        generator_opt_state=generator_opt_state,
        critic_opt_state=critic_opt_state,
        ema_generator_params=ema,
        critic_model_state=model_state,
        objective_state=objective_state,
        estimator_params=estimator_params,
        estimator_opt_state=estimator_opt_state,
    )
    new_state = jax.tree.map(lambda new, old: new if new is old else jnp.where(accept, new, old), candidate, state)
    if on_nonfinite == "raise":
      record = healthy & (bad >= 0)
      health = Health(
          jnp.where(record, state.step, state.health.nonfinite_step),
          jnp.where(record, bad, state.health.nonfinite_quantity),
          state.health.skipped_updates,
      )
    else:
      new_state = new_state.replace(step=state.step + 1)
      health = state.health._replace(skipped_updates=state.health.skipped_updates + (bad >= 0))
    new_state = new_state.replace(health=health)
    metrics["nonfinite"] = (bad >= 0).astype(jnp.int32)
    return new_state, metrics

  return train_step


def data_mesh(num_devices: int | None = None) -> jax.sharding.Mesh:
  """A 1-D mesh with axis `"data"` over the first `num_devices` devices (default: all)."""
  devices = jax.devices()
  num_devices = len(devices) if num_devices is None else validation.check_positive_int(num_devices, "num_devices")
  if num_devices > len(devices):
    raise ValueError(f"`num_devices`={num_devices} but only {len(devices)} devices are visible.")
  return jax.sharding.Mesh(np.asarray(devices[:num_devices]), ("data",))


def batch_sharding(mesh: jax.sharding.Mesh) -> NamedSharding:
  """Sharding of a `(n_critic, batch, ...)` batch: the batch axis split over `"data"`."""
  return NamedSharding(mesh, P(None, "data"))


def make_train_step(*, mesh: jax.sharding.Mesh | None = None, **kwargs):
  """Builds and jits the train step (state donated).

  With `mesh`, the state is replicated and the batch sharded over the mesh's
  `"data"` axis (batch size divisible by the number of devices); the result
  equals the single-device step up to float reduction order.

  Args:
    mesh: optional data mesh from :func:`data_mesh`.
    **kwargs: arguments of :func:`build_train_step`.

  Returns:
    `train_step(state, batch) -> (state, metrics)`, jitted.
  """
  step = build_train_step(**kwargs)
  if mesh is None:
    return jax.jit(step, donate_argnums=0)
  replicated = NamedSharding(mesh, P())
  return jax.jit(
      step,
      in_shardings=(replicated, batch_sharding(mesh)),
      out_shardings=(replicated, replicated),
      donate_argnums=0,
  )


class NonFiniteError(RuntimeError):
  """Training met a non-finite loss or gradient norm; the state holds the last finite step."""


def check_health(state: GANState) -> None:
  """Raises :class:`NonFiniteError` naming the step and quantity if training met a non-finite value."""
  step = int(state.health.nonfinite_step)
  if step >= 0:
    quantity = NONFINITE_QUANTITIES[int(state.health.nonfinite_quantity)]
    raise NonFiniteError(
        f"Non-finite {quantity} at train step {step}; the update was rejected and training stopped."
        " The state (and any checkpoint) holds the last finite step. Lower the learning rate, check"
        " the data for NaNs, or pass on_nonfinite='skip' to drop such updates."
    )
