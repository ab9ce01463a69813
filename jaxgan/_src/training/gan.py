"""The GAN object: players, objective, penalty and optimisers bound once; pure `init`, jitted `step`, `run`, `sample`.

`gan.step(state, batch) -> (state, metrics)` runs `n_critic` critic updates
(unrolled, one real microbatch each) and one generator update;
`gan.run(state, data, num_steps)` runs `num_steps` of them in one dispatch (a
`lax.scan` over steps, batches drawn in-graph from a `jg.data` stream), so the
host is off the critical path. Per-step randomness is
`jax.random.fold_in(state.rng_key, state.step)`, so a run is a pure function
of (config, seed) and resumes exactly. With `num_runs=N` every method maps
over a leading run axis: `N` independent runs trained in one program. With a
mesh the batch is sharded on its `"data"` axis and the state replicated (or,
with `N` runs divisible by the device count, the runs sharded), so gradients
are the global batch means (the same maths on 1 or N devices).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import optax

from jaxgan._src import validation
from jaxgan._src.objectives import registry as objectives
from jaxgan._src.objectives.latent_codes import LatentCodes
from jaxgan._src.objectives.mutual_information import EntropyEstimator
from jaxgan._src.regularizers import registry as penalties
from jaxgan._src.regularizers.lipschitz import lazy_regularization
from jaxgan._src.techniques.auxiliary_classifier import auxiliary_classifier_loss
from jaxgan._src.techniques.feature_matching import feature_matching
from jaxgan._src.techniques.packing import pack
from jaxgan._src.training import health as health_lib
from jaxgan._src.training import sharding
from jaxgan._src.training.players import as_player, critic_scores
from jaxgan._src.training.state import GANState, PlayerState


def default_optimizer(learning_rate: float = 1e-4) -> optax.GradientTransformation:
  """Adam(lr, b1=0.5, b2=0.9), the WGAN-GP paper's optimiser (Gulrajani et al. 2017, Algorithm 1)."""
  return optax.adam(learning_rate, b1=0.5, b2=0.9)


def _objective(objective) -> objectives.Objective:
  if isinstance(objective, str):
    return objectives.get(objective)
  if isinstance(objective, objectives.Objective):
    return objective
  raise TypeError(
      "`objective` must be a name from jg.losses.available() or a jg.losses.Objective,"
      f" got {type(objective).__name__}."
  )


def _penalty(penalty) -> Callable | None:
  if penalty is None or callable(penalty):
    return penalty
  if isinstance(penalty, str):
    return penalties.get(penalty)
  raise TypeError(
      "`penalty` must be None, a name from jg.penalties.available() or a callable"
      f" (critic_fn, real, fake, rng_key) -> scalar, got {type(penalty).__name__}."
  )


def _label_args(labels: jax.Array | None, batch_size: int | None = None) -> tuple:
  """A player's extra arguments: `()` without labels, else `(labels,)`, tiled k times for a batch k times larger.

  Real and fake rows share the real batch's labels, so a critic scoring
  `[real; fake]` (or a penalty's concatenation of them) takes the labels
  tiled. A batch that is not a multiple of the labels' (a penalty scoring one
  sample at a time) is refused.
  """
  if labels is None:
    return ()
  if batch_size is None or batch_size == labels.shape[0]:
    return (labels,)
  if batch_size % labels.shape[0]:
    raise ValueError(
        f"A conditional critic scored a batch of {batch_size} points with {labels.shape[0]} labels. Penalties on a"
        " conditional critic take batch-level input gradients: use method='batch_sum' or 'forward_over_reverse'"
        " (the default), not 'vmap'.")
  return (jnp.tile(labels, batch_size // labels.shape[0]),)


def _optimizer_step(optimizer: optax.GradientTransformation, player: PlayerState, grads,
                    model_state) -> PlayerState:
  """`player` after one `optimizer` update with `grads`, carrying `model_state`."""
  updates, opt_state = optimizer.update(grads, player.opt_state, player.params)
  return PlayerState(optax.apply_updates(player.params, updates), opt_state, model_state)


def _typed_key(rng_key: jax.Array) -> jax.Array:
  if not jnp.issubdtype(rng_key.dtype, jax.dtypes.prng_key):
    rng_key = jax.random.wrap_key_data(rng_key)
  return rng_key


class GAN:
  """A GAN: generator, critic, objective, optional penalty, entropy estimator and encoder, and their optimisers.

  >>> import jax, jax.numpy as jnp, jaxgan as jg
  >>> gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(32, 32)), critic=jg.models.MLPCritic(hidden=(32, 32)),
  ...                    objective="non_saturating", penalty="r1", latent_dim=2)
  >>> state = gan.init(jax.random.key(0), jnp.zeros((8, 2)))
  >>> state, metrics = gan.step(state, jnp.ones((1, 8, 2)))
  >>> gan.sample(state, jax.random.key(1), 5).shape
  (5, 2)
  >>> data = jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(2), batch_size=8)
  >>> state, metrics = gan.run(state, data, 10)        # 10 steps, one dispatch
  >>> int(state.step), metrics["critic_loss"].shape
  (11, (10,))

  Args:
    generator: the generator `z (batch, latent_dim) -> x`: a Flax Linen module,
      a Flax NNX module or a :class:`jaxgan.train.Player`.
    critic: the critic `x -> scores (batch,)` or `(batch, 1)` (or a dict with
      `"scores"` and the extra outputs the objective asks for), same kinds.
    objective: a name from `jg.losses.available()` or a `jg.losses.Objective`.
    latent_dim: size of the noise `z ~ N(0, I)`.
    penalty: None, a name from `jg.penalties.available()` or a callable
      `(critic_fn, real, fake, rng_key) -> scalar` (`jg.penalties.get(...)`),
      added to the critic loss times the state's `hyperparams["penalty_weight"]`
      (1 from :meth:`init`; :func:`jaxgan.train.set_hyperparams` sets it per
      run); the `penalty` metric is that weighted term.
    n_critic: critic updates per generator update; the leading axis of a batch.
    generator_optimizer: optax transformation (default :func:`default_optimizer`).
    critic_optimizer: optax transformation (default :func:`default_optimizer`);
      it receives the params, so weight clipping can be chained in.
    ema_decay: decay of the generator's parameter EMA, in [0, 1): the initial
      `hyperparams["ema_decay"]` of the state, which the step reads
      (:func:`jaxgan.train.set_hyperparams` sets it per run).
    penalty_interval: lazy regularisation interval k (the penalty every k
      critic updates, counted over the run, weighted by k).
    entropy_estimator: optional `jg.losses.EntropyEstimator` (MEG): a third
      player that maximises its estimate of I(G(z); z) with its own optimiser;
      the generator minimises `objective.generator(...) - entropy_weight *` that estimate.
    entropy_weight: weight of the entropy surrogate in the generator loss, >= 0.
    estimator_optimizer: the estimator's optax transformation (default :func:`default_optimizer`).
    on_nonfinite: `"raise"` (a non-finite update halts training; see
      :func:`jaxgan.train.check_health`) or `"skip"` (drop it, count it, go on).
    mesh: optional 1-D data mesh (:func:`jaxgan.train.data_mesh`): the batch is
      sharded over its `"data"` axis, the state replicated; with `num_runs`
      divisible by the mesh size the runs are sharded instead.
    num_runs: None (one run) or `N`: states, batches, metrics and samples
      carry a leading axis of `N` independent runs, trained in one program
      (`init` takes `N` keys; run `i` equals the single run with key `i`).
    augment: optional `augment(rng_key, x, step) -> x` applied to the real
      and the fake batch (independent keys) wherever the critic sees them,
      in the critic's update (penalties included) and the generator's (which
      differentiates through it); `step` is the train step. Built by
      :func:`jaxgan.techniques.instance_noise_augmentation` (annealed instance
      noise) and :func:`jaxgan.techniques.diff_augmentation` (DiffAugment).
    unroll_steps: K >= 0: the generator's loss is taken against the critic
      after K more of its own optimiser updates, differentiated through them
      (unrolled GAN, Metz et al. 2017, Eq. 5-7); 0 is the plain step.
    feature_matching: weight w >= 0 of feature matching in the generator's
      loss, `+ w ||E f(x_r) - E f(G(z))||^2` (Salimans et al. 2016, Sec. 3.1;
      :func:`jaxgan.techniques.feature_matching`), f the critic's `"features"`
      output (`MLPCritic(return_features=True)`, `DCGANCritic(...)`); 0: off.
    num_classes: None (unconditional) or C: a conditional GAN. Batches come
      with int labels in [0, C) (`step(state, batch, labels)`, streams whose
      `batch(step)` returns `(x, labels)`); the players are called as
      `G(z, labels)` and `D(x, labels)`; fakes are drawn for the real batch's
      labels, so real, fake and the points penalties interpolate share one
      label per row (a conditional critic's penalty takes batch-level input
      gradients: `method="batch_sum"` or `"forward_over_reverse"`, the
      default); `sample(state, key, n, labels)`.
    auxiliary_classifier: weight w >= 0 of AC-GAN's class loss (Odena et al.
      2017; :func:`jaxgan.techniques.auxiliary_classifier_loss`): with
      `num_classes`, a critic returning `"class_logits"`
      (`MLPCritic(num_classes=C, conditioning="auxiliary")`) adds w times the
      cross-entropy on real and on fake to its loss, the generator w times
      that on fake; 0: off.
    latent_codes: None or InfoGAN codes (`jg.losses.latent_codes(...)`,
      Chen et al. 2016): the generator reads `[z, c]`, the noise followed by
      `latent_codes.size` code values (:meth:`latents` draws both; the
      generator's input width is `gan.input_dim`); pair
      them with `entropy_estimator=jg.losses.infogan_estimator(Q, codes)` and
      `entropy_weight` lambda, so generator and `Q` maximise the bound on
      I(c; G(z, c)).
    encoder: None or a player `E: x -> generator input` (mode-regularised
      GAN, Che et al. 2017, Eq. 3-4): the generator and `E` descend on
      `geometric_regularizer * E||x - G(E(x))||^2 + mode_regularizer *`
      the objective's generator loss on the critic's scores of `G(E(x))`
      (the mode regulariser: reconstructions of real points must pass as
      real, so every mode of the data has latents that reach it), `x` the
      real batch; `E` outputs the generator's full input (`latent_dim`, plus
      the codes' width with `latent_codes`), labels go to `G` as for `G(z)`.
      The critic's loss is unchanged.
    encoder_optimizer: the encoder's optax transformation (default :func:`default_optimizer`).
    geometric_regularizer: lambda_1 >= 0, the weight of `||x - G(E(x))||^2` (summed over data dimensions).
    mode_regularizer: lambda_2 >= 0, the weight of the objective's generator loss on `D(G(E(x)))`.
    separate_batches: score the real and the fake batch (and a mode-regularised
      GAN's reconstructions) in separate critic calls instead of one call on
      their concatenation: what critics with layers that couple the samples
      of a batch need (`MLPCritic(minibatch=...)`,
      :class:`jaxgan.techniques.MinibatchStdDev`,
      :class:`jaxgan.techniques.MinibatchDiscrimination`), so real samples
      are compared with real ones and fakes with fakes (Salimans et al.
      2016, Sec. 3.2); the same numbers for per-sample critics. Model state
      (spectral-norm vectors) advances once per call.
    shard_state: with a mesh and one run, split the parameters, EMA and
      optimiser state over `"data"` (ZeRO-3 / FSDP-style,
      :func:`jaxgan.train.fully_sharded`) instead of replicating them: each
      device holds 1/N of the state, for critics whose optimiser state does
      not fit on one device; the same numbers as replicated, up to float
      reduction order.
    packing: m >= 1 (PacGAN, Lin et al. 2018): the critic scores packs of m
      samples concatenated along the last axis
      (:func:`jaxgan.techniques.pack`), real with real and fake with fake,
      everywhere it sees them (losses, penalties at packed interpolates,
      unrolling, feature matching); build the critic for `m` times the data's
      last axis, and give batches of a multiple of m. :meth:`critic_fn` then
      takes packed inputs. Unconditional GANs only; 1: off.
    simultaneous: update both players from the same parameters (simultaneous
      gradient descent, as ALI's and PacGAN's code train): the generator's
      gradient is taken against the critic (and objective state) from before
      this step's critic update, instead of after it (alternating, the
      default). Needs `n_critic=1` and no unrolling.
  """

  def __init__(
      self,
      *,
      generator,
      critic,
      objective,
      latent_dim: int,
      penalty=None,
      n_critic: int = 1,
      generator_optimizer: optax.GradientTransformation | None = None,
      critic_optimizer: optax.GradientTransformation | None = None,
      ema_decay: float = 0.999,
      penalty_interval: int = 1,
      entropy_estimator: EntropyEstimator | None = None,
      entropy_weight: float = 1.0,
      estimator_optimizer: optax.GradientTransformation | None = None,
      on_nonfinite: str = "raise",
      mesh: jax.sharding.Mesh | None = None,
      num_runs: int | None = None,
      shard_state: bool = False,
      augment: Callable | None = None,
      unroll_steps: int = 0,
      feature_matching: float = 0.0,
      num_classes: int | None = None,
      auxiliary_classifier: float = 0.0,
      latent_codes: LatentCodes | None = None,
      encoder=None,
      encoder_optimizer: optax.GradientTransformation | None = None,
      geometric_regularizer: float = 0.0,
      mode_regularizer: float = 0.0,
      separate_batches: bool = False,
      packing: int = 1,
      simultaneous: bool = False,
  ):
    self.generator = as_player(generator, "generator")
    self.critic = as_player(critic, "critic")
    if objective is None:
      raise ValueError("`objective` is required: a name from jg.losses.available() or a jg.losses.Objective.")
    self.objective = _objective(objective)
    self.penalty = _penalty(penalty)
    self.latent_dim = validation.check_positive_int(latent_dim, "latent_dim")
    self.n_critic = validation.check_positive_int(n_critic, "n_critic")
    self.penalty_interval = validation.check_positive_int(penalty_interval, "penalty_interval")
    if not 0.0 <= ema_decay < 1.0:
      raise ValueError(f"`ema_decay` must lie in [0, 1), got {ema_decay}.")
    self.ema_decay = ema_decay
    if entropy_estimator is not None and not isinstance(entropy_estimator, EntropyEstimator):
      raise TypeError(
          f"`entropy_estimator` must be None or a jg.losses.EntropyEstimator, got {type(entropy_estimator).__name__}."
      )
    self.entropy_estimator = entropy_estimator
    self.entropy_weight = validation.check_non_negative(entropy_weight, "entropy_weight")
    self.on_nonfinite = validation.check_choice(on_nonfinite, "on_nonfinite", health_lib.POLICIES)
    self.generator_optimizer = generator_optimizer or default_optimizer()
    self.critic_optimizer = critic_optimizer or default_optimizer()
    self.estimator_optimizer = estimator_optimizer or default_optimizer()
    self.mesh = mesh
    self.num_runs = None if num_runs is None else validation.check_positive_int(num_runs, "num_runs")
    if shard_state and (mesh is None or self.num_runs is not None):
      raise ValueError("`shard_state=True` needs a `mesh` and one run (`num_runs=None`); with `num_runs` the runs"
                       " themselves are sharded over the mesh.")
    self.shard_state = bool(shard_state)
    if augment is not None and not callable(augment):
      raise TypeError(f"`augment` must be None or a function (rng_key, x, step) -> x, got {type(augment).__name__}.")
    self.augment = augment
    if isinstance(unroll_steps, bool) or not isinstance(unroll_steps, int) or unroll_steps < 0:
      raise ValueError(f"`unroll_steps` must be an integer >= 0 (0: no unrolling), got {unroll_steps!r}.")
    self.unroll_steps = unroll_steps
    self.feature_matching = validation.check_non_negative(feature_matching, "feature_matching")
    self.num_classes = None if num_classes is None else validation.check_positive_int(num_classes, "num_classes")
    self.auxiliary_classifier = validation.check_non_negative(auxiliary_classifier, "auxiliary_classifier")
    if self.auxiliary_classifier and self.num_classes is None:
      raise ValueError("`auxiliary_classifier` > 0 (AC-GAN) needs class labels: set `num_classes`.")
    if latent_codes is not None and not isinstance(latent_codes, LatentCodes):
      raise TypeError(f"`latent_codes` must be None or a jg.losses.LatentCodes, got {type(latent_codes).__name__}.")
    self.latent_codes = latent_codes
    self.input_dim = self.latent_dim + (0 if latent_codes is None else latent_codes.size)
    self.separate_batches = bool(separate_batches)
    self.encoder = None if encoder is None else as_player(encoder, "encoder")
    self.encoder_optimizer = encoder_optimizer or default_optimizer()
    self.geometric_regularizer = validation.check_non_negative(geometric_regularizer, "geometric_regularizer")
    self.mode_regularizer = validation.check_non_negative(mode_regularizer, "mode_regularizer")
    self.packing = validation.check_positive_int(packing, "packing")
    if self.packing > 1 and self.num_classes is not None:
      raise ValueError("`packing` > 1 packs unconditional samples; a conditional GAN (num_classes set) takes"
                       " packing=1.")
    if not isinstance(simultaneous, bool):
      raise TypeError(f"`simultaneous` must be a bool, got {type(simultaneous).__name__}.")
    if simultaneous and (self.n_critic != 1 or self.unroll_steps):
      raise ValueError(f"`simultaneous=True` updates both players once from the same parameters: it needs"
                       f" n_critic=1 and unroll_steps=0, got n_critic={self.n_critic},"
                       f" unroll_steps={self.unroll_steps}.")
    self.simultaneous = simultaneous
    if (self.encoder is None) == bool(self.geometric_regularizer or self.mode_regularizer):
      raise ValueError("A mode-regularised GAN takes an `encoder` and a `geometric_regularizer` or `mode_regularizer`"
                       " > 0; give both, or neither.")
    state_sharding, self._batch_sharding = sharding.train_shardings(mesh, self.num_runs)
    shardings = {} if mesh is None else dict(in_shardings=(state_sharding, self._batch_sharding),
                                             out_shardings=(state_sharding, state_sharding))
    if self.shard_state:  # per-leaf shardings depend on the state's shapes: set in `init`, kept by `_step`
      shardings = dict(in_shardings=(None, self._batch_sharding))
      state_sharding = None
    if mesh is not None and self.num_classes is not None:  # a conditional step takes (state, batch, labels)
      shardings["in_shardings"] = (*shardings["in_shardings"], self._batch_sharding)
    self.step = jax.jit(self._step, donate_argnums=0, **shardings)
    self.step.__doc__ = self._step.__doc__
    # The data keeps its own placement (an image stream is sharded once); metrics are left to XLA.
    run_shardings = {} if mesh is None or self.shard_state else dict(in_shardings=(state_sharding, None),
                                                                     out_shardings=(state_sharding, None))
    self.run = jax.jit(self._run, static_argnames=("num_steps", "reduce"), donate_argnums=0, **run_shardings)
    self.run.__doc__ = self._run.__doc__
    self.sample = jax.jit(self._sample, static_argnums=2)
    self.sample.__doc__ = self._sample.__doc__

  def _over_runs(self, fn: Callable, in_axes=0) -> Callable:
    """`fn` itself for one run, `jax.vmap(fn, in_axes)` over the leading run axis with `num_runs`."""
    return fn if self.num_runs is None else jax.vmap(fn, in_axes=in_axes)

  # --- state ------------------------------------------------------------------

  def init(self, rng_key: jax.Array, example_batch: jax.Array) -> GANState:
    """The state at step 0: fresh players, optimiser states, EMA, objective state and hyperparams.

    A pure function of its arguments. The state's `hyperparams` hold
    `ema_decay` and a `penalty_weight` of 1 for every run; change them, and
    injected learning rates, with :func:`jaxgan.train.set_hyperparams`.

    Args:
      rng_key: a typed key (`jax.random.key(seed)`; raw uint32 keys are
        converted); with `num_runs=N`, `N` keys (`jax.random.split(key, N)`,
        or `jax.vmap(jax.random.key)(seeds)`), one per run.
      example_batch: real data of shape `(batch, *data_shape)` (values unused).

    Returns:
      A :class:`jaxgan.train.GANState` (with a leading run axis for `num_runs`).
    """
    example_batch = validation.check_batch(example_batch, "example_batch")[:1]
    rng_key = _typed_key(rng_key)
    expected = () if self.num_runs is None else (self.num_runs,)
    if rng_key.shape != expected:
      raise ValueError(f"`rng_key` must have shape {expected} (num_runs={self.num_runs}), got {rng_key.shape}.")
    state = self._over_runs(self._init, in_axes=(0, None))(rng_key, example_batch)
    if self.shard_state:
      state = sharding.place(state, sharding.fully_sharded(state, self.mesh))
    elif self.mesh is not None:
      state = sharding.place(state, sharding.train_shardings(self.mesh, self.num_runs)[0])
    else:
      state = sharding.committed(state)
    return state

  def _init(self, rng_key: jax.Array, example_batch: jax.Array) -> GANState:
    generator_key, critic_key, estimator_key, train_key = jax.random.split(rng_key, 4)
    z = jnp.zeros((1, self.input_dim), example_batch.dtype)
    labels = _label_args(None if self.num_classes is None else jnp.zeros((1,), jnp.int32))
    generator_params, generator_model_state = self.generator.init(generator_key, z, *labels)
    packed_example = pack(jnp.repeat(example_batch, self.packing, axis=0), self.packing)
    critic_params, critic_model_state = self.critic.init(critic_key, packed_example, *labels)
    estimator = encoder = ()
    if self.entropy_estimator is not None:
      params = self.entropy_estimator.init(estimator_key, example_batch, z)
      estimator = PlayerState(params, self.estimator_optimizer.init(params), {})
    if self.encoder is not None:  # a key of its own, leaving the other players' keys as they were
      params, model_state = self.encoder.init(jax.random.fold_in(estimator_key, 1), example_batch)
      encoder = PlayerState(params, self.encoder_optimizer.init(params), model_state)
    return GANState(
        step=jnp.zeros((), jnp.int32),
        generator=PlayerState(generator_params, self.generator_optimizer.init(generator_params),
                              generator_model_state),
        critic=PlayerState(critic_params, self.critic_optimizer.init(critic_params), critic_model_state),
        ema_params=jax.tree.map(jnp.array, generator_params),
        estimator=estimator,
        objective_state=self.objective.init(),
        rng_key=train_key,
        health=health_lib.init(),
        hyperparams={"ema_decay": jnp.asarray(self.ema_decay, jnp.float32),
                     "penalty_weight": jnp.ones((), jnp.float32)},
        encoder=encoder,
    )

  # --- the critic and generator as functions of the state ----------------------

  def latents(self, rng_key: jax.Array, n: int) -> jax.Array:
    """`n` generator inputs: `z ~ N(0, I_latent_dim)`, followed by InfoGAN codes drawn from `latent_codes` if set."""
    if self.latent_codes is None:
      return jax.random.normal(rng_key, (n, self.latent_dim))
    noise_key, code_key = jax.random.split(rng_key)
    return jnp.concatenate([jax.random.normal(noise_key, (n, self.latent_dim)),
                            self.latent_codes.sample(code_key, n)], axis=1)

  def _checked_labels(self, labels, name: str = "labels", shape: tuple | None = None) -> jax.Array | None:
    return validation.check_labels(labels, self.num_classes, "GAN", shape=shape, name=name)

  def critic_fn(self, state: GANState, labels: jax.Array | None = None) -> Callable[[jax.Array], jax.Array]:
    """The critic at `state` as `x (batch, ...) -> scores (batch,)`: the signature penalties and samplers take.

    A conditional GAN's critic needs `labels (batch,)`; the closure scores a
    batch of that size (or a multiple of it, the labels repeated: a
    concatenation of real and fake batches). With `packing=m` it scores
    packed inputs (`jg.techniques.pack(x, m)`), one score per pack. The
    critic is evaluated (:attr:`jaxgan.train.Player.evaluate`): batch norm on
    its running averages, so a sample's score does not depend on the rest of
    the batch (sampler chains stay independent); no state is updated.
    """
    critic, labels = state.critic, self._checked_labels(labels)

    def scores(x):
      output = self.critic.output(critic.params, critic.model_state, x, *_label_args(labels, x.shape[0]))
      return critic_scores(output, x.shape[0])[0]

    return scores

  def generator_fn(self, state: GANState, *, ema: bool = True,
                   labels: jax.Array | None = None) -> Callable[[jax.Array], jax.Array]:
    """The generator at `state` as `z (batch, input_dim) -> x`, with the EMA params (default) or the trained ones.

    A conditional GAN's generator needs `labels (batch,)`, bound here. The
    generator is evaluated (:attr:`jaxgan.train.Player.evaluate`): batch norm
    uses its running averages, so each sample depends on its own latent only.
    """
    params, labels = state.ema_params if ema else state.generator.params, self._checked_labels(labels)
    return lambda z: self.generator.output(params, state.generator.model_state, z, *_label_args(labels))

  def _sample(self, state: GANState, rng_key: jax.Array, n: int, labels: jax.Array | None = None) -> jax.Array:
    """`n` samples `G_ema(z)`, `z` from :meth:`latents` of `rng_key` (jitted; `n` static); `labels (n,)` if conditional.

    With `num_runs`, `(num_runs, n, ...)`: every run maps the same latents (and labels).
    """
    validation.check_positive_int(n, "n")
    self._checked_labels(labels, shape=(n,))
    z = self.latents(rng_key, n)
    return self._over_runs(lambda s: self.generator_fn(s, labels=labels)(z))(state)

  # --- the train step -----------------------------------------------------------

  def _augmented(self, key: jax.Array, real: jax.Array, fake: jax.Array, step: jax.Array):
    """`(real, fake)` as the critic sees them: through `augment` with keys derived from `key`, or unchanged."""
    if self.augment is None:
      return real, fake
    real_key, fake_key = jax.random.split(jax.random.fold_in(key, 0x5EED))  # apart from the key's other uses
    return self.augment(real_key, real, step), self.augment(fake_key, fake, step)

  def _score_batches(self, params, model_state, batches: list, labels):
    """`(critic output, model_state)` of equal-size `batches`, concatenated along the batch axis: one critic call on
    their concatenation, or with `separate_batches` one call per batch."""
    if not self.separate_batches:
      return self.critic.apply(params, model_state, jnp.concatenate(batches),
                               *_label_args(labels, len(batches) * batches[0].shape[0]))
    outputs = []
    for x in batches:
      output, model_state = self.critic.apply(params, model_state, x, *_label_args(labels))
      outputs.append(output)
    return jax.tree.map(lambda *parts: jnp.concatenate(parts), *outputs), model_state

  def _critic_loss(self, params, model_state, real, fake, objective_state, penalty_weight, critic_step, penalty_key,
                   labels=None):
    """The critic's loss (objective + weighted, lazily applied penalty) and `(loss, penalty, model_state, scores)`."""
    batch_size = real.shape[0]
    output, model_state = self._score_batches(params, model_state, [real, fake], labels)
    scores, extras = critic_scores(output, 2 * batch_size, ("class_logits",) if self.auxiliary_classifier else ())
    real_scores, fake_scores = scores[:batch_size], scores[batch_size:]
    loss = self.objective.critic(real_scores, fake_scores, state=objective_state)
    if self.auxiliary_classifier:  # the critic classifies real and fake (AC-GAN, Odena et al. 2017, Eq. 2)
      logits = extras["class_logits"]
      loss = loss + self.auxiliary_classifier * (auxiliary_classifier_loss(logits[:batch_size], labels)
                                                 + auxiliary_classifier_loss(logits[batch_size:], labels))
    penalty = jnp.zeros((), loss.dtype)
    if self.penalty is not None:
      def closure(x):
        return critic_scores(self.critic.apply(params, model_state, x, *_label_args(labels, x.shape[0]))[0],
                             x.shape[0])[0]
      penalty = penalty_weight * lazy_regularization(
          self.penalty, critic_step, closure, real, fake, penalty_key, interval=self.penalty_interval)
    return loss + penalty, (loss, penalty, model_state, real_scores, fake_scores)

  def _unrolled_critic(self, state: GANState, critic: PlayerState, objective_state, real, labels,
                       generator_params, rng_key):
    """The critic after `unroll_steps` more updates against `generator_params`, differentiable in them.

    Metz et al. 2017, Eq. 5-7: theta_D^{k+1} = theta_D^k + eta^k(theta_D^k, theta_G), here the critic's own
    optimiser update on its own loss (penalty included), each on the step's last real microbatch and fresh
    latents, as if they were the next critic updates; the generator then descends on
    f(theta_G, theta_D^K(theta_G, theta_D)), differentiating through the K updates.
    """
    batch_size = real.shape[0]

    def update(carry, inputs):
      params, model_state, opt_state = carry
      key, critic_step = inputs
      z_key, penalty_key, augment_key = jax.random.split(key, 3)
      z = self.latents(z_key, batch_size)
      fake = self.generator.apply(generator_params, state.generator.model_state, z, *_label_args(labels))[0]
      seen_real, seen_fake = self._augmented(augment_key, real, fake, state.step)
      grads, aux = jax.grad(self._critic_loss, has_aux=True)(
          params, model_state, pack(seen_real, self.packing), pack(seen_fake, self.packing), objective_state, state.hyperparams["penalty_weight"],
          critic_step, penalty_key, labels)
      updates, opt_state = self.critic_optimizer.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), aux[2], opt_state), None

    next_steps = (state.step + 1) * self.n_critic + jnp.arange(self.unroll_steps)
    (params, model_state, _), _ = jax.lax.scan(
        update, (critic.params, critic.model_state, critic.opt_state),
        (jax.random.split(rng_key, self.unroll_steps), next_steps))
    return params, model_state

  def _critic_update(self, generator: PlayerState, penalty_weight: jax.Array, carry, inputs):
    critic, objective_state = carry
    real, labels, key, critic_step = inputs
    z_key, penalty_key = jax.random.split(key)
    batch_size = real.shape[0]
    z = self.latents(z_key, batch_size)
    fake = jax.lax.stop_gradient(self.generator.apply(generator.params, generator.model_state, z,
                                                      *_label_args(labels))[0])
    real, fake = self._augmented(key, real, fake, critic_step // self.n_critic)
    real, fake = pack(real, self.packing), pack(fake, self.packing)
    grads, (loss, penalty, model_state, real_scores, fake_scores) = jax.grad(self._critic_loss, has_aux=True)(
        critic.params, critic.model_state, real, fake, objective_state, penalty_weight, critic_step, penalty_key,
        labels)
    critic = _optimizer_step(self.critic_optimizer, critic, grads, model_state)
    objective_state, objective_metrics = self.objective.update(objective_state, real_scores, fake_scores)
    metrics = {
        "critic_loss": loss,
        "penalty": penalty,
        "critic_grad_norm": optax.tree.norm(grads),
        "real_score": jnp.mean(real_scores),
        "fake_score": jnp.mean(fake_scores),
        **objective_metrics,
    }
    return (critic, objective_state), metrics

  def _generator_grads(self, state: GANState, critic: PlayerState, objective_state, real, labels, rng_key):
    batch_size = real.shape[0]
    z = self.latents(rng_key, batch_size)
    estimator = self.entropy_estimator

    def loss_fn(params, estimator_params, encoder_params):
      fake, model_state = self.generator.apply(params, state.generator.model_state, z, *_label_args(labels))
      seen_real, seen_fake = self._augmented(rng_key, real, fake, state.step)
      critic_params, critic_model_state = critic.params, critic.model_state
      if self.unroll_steps:
        critic_params, critic_model_state = self._unrolled_critic(
            state, critic, objective_state, real, labels, params, jax.random.fold_in(rng_key, 0xD0))
      seen = [seen_real, seen_fake]
      if self.encoder is not None:  # G(E(x)) of the real batch, scored with the fakes
        codes, _ = self.encoder.apply(encoder_params, state.encoder.model_state, real)
        reconstruction = self.generator.apply(params, state.generator.model_state, codes, *_label_args(labels))[0]
        seen.append(self._augmented(jax.random.fold_in(rng_key, 0xE0), real, reconstruction, state.step)[1])
      seen = [pack(x, self.packing) for x in seen]
      n = batch_size // self.packing  # critic inputs per batch
      output, _ = self._score_batches(critic_params, critic_model_state, seen, labels)
      wanted = (self.objective.extras + (("features",) if self.feature_matching else ())
                + (("class_logits",) if self.auxiliary_classifier else ()))
      scores, extras = critic_scores(output, len(seen) * n, wanted)
      real_scores = jax.lax.stop_gradient(scores[:n])

      def adversarial_loss(rows):  # the objective's generator loss on the scores (and extras) of these rows
        return self.objective.generator(scores[rows], real_scores, state=objective_state,
                                        **{name: extras[name][rows] for name in self.objective.extras})

      loss = adversarial_loss(slice(n, 2 * n))
      reconstruction_error = jnp.zeros((), loss.dtype)
      if self.encoder is not None:  # Che et al. 2017, Eq. 3-4: geometric and mode regularisers
        reconstruction_error = jnp.mean(jnp.sum(jnp.reshape(real - reconstruction, (batch_size, -1)) ** 2, axis=1))
        loss = loss + (self.geometric_regularizer * reconstruction_error
                       + self.mode_regularizer * adversarial_loss(slice(2 * n, 3 * n)))
      if self.auxiliary_classifier:  # the generator makes its fakes classifiable as their labels
        loss = loss + self.auxiliary_classifier * auxiliary_classifier_loss(
            extras["class_logits"][n:2 * n], labels)
      if self.feature_matching:
        features = extras["features"]
        loss = loss + self.feature_matching * feature_matching(features[:n], features[n:2 * n])
      if estimator is None:
        return loss, (loss, model_state, jnp.zeros((), loss.dtype), reconstruction_error)
      # The generator descends on loss - w * I(G(z); z); the estimator ascends on its own estimate,
      # whatever w: each sees its term only (stop_gradient on the other player's input).
      entropy = estimator.estimate(jax.lax.stop_gradient(estimator_params), fake, z)
      estimator_objective = estimator.estimate(estimator_params, jax.lax.stop_gradient(fake), z)
      generator_loss = loss - self.entropy_weight * entropy
      return generator_loss - estimator_objective, (generator_loss, model_state, entropy, reconstruction_error)

    estimator_params = () if estimator is None else state.estimator.params
    encoder_params = () if self.encoder is None else state.encoder.params
    (_, aux), grads = jax.value_and_grad(loss_fn, argnums=(0, 1, 2), has_aux=True)(
        state.generator.params, estimator_params, encoder_params)
    return aux, grads

  def _step(self, state: GANState, batch: jax.Array, labels: jax.Array | None = None) -> tuple[GANState, dict]:
    """One train step: `n_critic` critic updates, then one generator update (jitted, state donated).

    Args:
      state: a :class:`jaxgan.train.GANState`.
      batch: real data of shape `(n_critic, batch_size, *data_shape)`, one
        microbatch per critic update; `(num_runs, n_critic, ...)` with `num_runs`.
      labels: a conditional GAN's int class labels `(n_critic, batch_size)`
        (`(num_runs, n_critic, batch_size)`); None otherwise. A label outside
        `[0, num_classes)` halts training as a non-finite update does.

    Returns:
      `(state, metrics)`: critic metrics averaged over the critic updates,
      `generator_loss`, `generator_grad_norm`, `entropy_estimate` (with an
      estimator), `reconstruction_error` (with an encoder), the objective's metrics and `nonfinite` (1 if this update
      was rejected: non-finite, or after a halt); each with a leading run
      axis with `num_runs`.
    """
    self._check_batch(batch, "batch", leading=())
    self._check_labels(labels, batch, "labels")
    state, metrics = self._over_runs(self._update)(state, batch, labels)
    if self.shard_state:  # the new state keeps the layout `init` gave it
      state = jax.lax.with_sharding_constraint(state, sharding.fully_sharded(state, self.mesh))
    return state, metrics

  def _run(self, state: GANState, data, num_steps: int, reduce: str | None = None) -> tuple[GANState, dict]:
    """`num_steps` train steps in one dispatch (a `lax.scan` over :meth:`step`; jitted, state donated).

    The same updates as `num_steps` calls of :meth:`step` on the same
    batches, so a run split into chunks of any size ends in the same state.

    Args:
      state: a :class:`jaxgan.train.GANState`.
      data: a stream (`jg.data.toy_stream`, `jg.data.image_stream`: any pytree
        with `batch(step)`) drawn in-graph at each state's step, or an array
        of `num_steps` stacked batches `(num_steps, n_critic, batch_size, ...)`
        (`(num_steps, num_runs, n_critic, ...)` with `num_runs`). A
        conditional GAN's stream returns `(x, labels)` (`labels=True`), and
        its stacked data is a pair `(batches, labels)`.
      num_steps: steps to run, >= 1 (static: one compilation per value).
      reduce: None (metrics per step, leading axis `num_steps`) or `"mean"`
        (averaged over the steps).

    Returns:
      `(state, metrics)`.
    """
    validation.check_positive_int(num_steps, "num_steps")
    if reduce not in (None, "mean"):
      raise ValueError(f"`reduce` must be None (per-step metrics) or 'mean', got {reduce!r}.")
    def body(state, xs):
      batch, labels = self._split_labels(data.batch(state.step) if xs is None else xs)
      return self._step(state, self._constrain(batch), None if labels is None else self._constrain(labels))

    if hasattr(data, "batch"):
      xs = None
    else:
      batches, labels = self._split_labels(data)
      self._check_batch(batches, "data", leading=(num_steps,))
      self._check_labels(labels, batches, "data's labels", leading=(num_steps,))
      xs = data
    if num_steps == 1:
      # No loop for one step: XLA:CPU runs convolution gradients inside a while loop 10-18x slower
      # than outside one (benchmarks/RESULTS.md, end to end), so CPU image runs dispatch step by step.
      state, metrics = body(state, None if xs is None else xs[0])
      metrics = jax.tree.map(lambda m: m[None], metrics)
    else:
      state, metrics = jax.lax.scan(body, state, xs, length=num_steps)
    if reduce == "mean":
      metrics = jax.tree.map(lambda m: jnp.mean(m, axis=0), metrics)
    return state, metrics

  def _constrain(self, batch: jax.Array) -> jax.Array:
    """The batch laid out over the mesh as :meth:`step` takes it (a no-op without a mesh)."""
    return batch if self.mesh is None else jax.lax.with_sharding_constraint(batch, self._batch_sharding)

  def _split_labels(self, data) -> tuple:
    """`(batch, labels)` of a conditional GAN's `(x, labels)` pair, `(batch, None)` of an unconditional one's batch."""
    if self.num_classes is None:
      if isinstance(data, tuple):
        raise TypeError("The data gives `(x, labels)` pairs but the GAN is unconditional; build it with"
                        " num_classes=C, or use an unlabelled stream.")
      return data, None
    if not (isinstance(data, tuple) and len(data) == 2):
      raise ValueError(f"GAN is conditional (num_classes={self.num_classes}): its data must give `(x, labels)`"
                       " pairs (a stream built with labels=True, or stacked `(batches, labels)`).")
    return data

  def _check_labels(self, labels, batch, name: str, leading: tuple = ()) -> None:
    runs = () if self.num_runs is None else (self.num_runs,)
    self._checked_labels(labels, name, (*leading, *runs, self.n_critic, batch.shape[len(leading) + len(runs) + 1]))

  def _check_batch(self, batch, name: str, leading: tuple) -> None:
    runs = () if self.num_runs is None else (self.num_runs,)
    expected = (*leading, *runs, self.n_critic)
    shape = tuple(getattr(batch, "shape", ()))
    if len(shape) < len(expected) + 1 or shape[:len(expected)] != expected:
      axes = ", ".join([*(["num_steps"] if leading else []), *(["num_runs"] if runs else []), "n_critic"])
      raise ValueError(
          f"`{name}` must have shape ({axes}, batch_size, *data_shape) = ({', '.join(map(str, expected))}, ...),"
          f" got {shape}."
      )

  def _update(self, state: GANState, batch: jax.Array, labels: jax.Array | None) -> tuple[GANState, dict]:
    """One run's train step on its `(n_critic, batch_size, ...)` batch (and `(n_critic, batch_size)` labels)."""
    key = jax.random.fold_in(state.rng_key, state.step)
    critic_key, generator_key = jax.random.split(key)
    critic_steps = state.step * self.n_critic + jnp.arange(self.n_critic)
    penalty_weight = state.hyperparams["penalty_weight"]
    # A Python loop (n_critic is small): XLA:CPU runs convolution gradients inside a while loop ~11x slower than
    # outside one, and a fully unrolled `lax.scan` left the one-update step ~10x slower (benchmarks/RESULTS.md, §6).
    carry, per_update = (state.critic, state.objective_state), []
    inputs = (batch, labels, jax.random.split(critic_key, self.n_critic), critic_steps)
    for i in range(self.n_critic):
      carry, update_metrics = self._critic_update(state.generator, penalty_weight, carry,
                                                  jax.tree.map(lambda v: v[i], inputs))
      per_update.append(update_metrics)
    (critic, objective_state), critic_metrics = carry, jax.tree.map(lambda *v: jnp.stack(v), *per_update)
    # Simultaneous: the generator sees the critic this step started from; alternating: the updated one.
    opponent, opponent_objective_state = ((state.critic, state.objective_state) if self.simultaneous
                                          else (critic, objective_state))
    (loss, generator_model_state, entropy, reconstruction_error), (generator_grads, estimator_grads,
                                                                   encoder_grads) = self._generator_grads(
        state, opponent, opponent_objective_state, batch[-1], None if labels is None else labels[-1], generator_key)
    generator = _optimizer_step(self.generator_optimizer, state.generator, generator_grads, generator_model_state)
    ema = optax.incremental_update(generator.params, state.ema_params, 1.0 - state.hyperparams["ema_decay"])
    ema = jax.tree.map(lambda new, old: new.astype(old.dtype), ema, state.ema_params)  # bf16 params stay bf16
    estimator = state.estimator
    if self.entropy_estimator is not None:
      estimator = _optimizer_step(self.estimator_optimizer, estimator, estimator_grads, estimator.model_state)
    encoder = state.encoder
    if self.encoder is not None:  # E descends on the regularisers alone: the rest of the loss does not depend on it
      encoder = _optimizer_step(self.encoder_optimizer, encoder, encoder_grads, encoder.model_state)

    metrics = jax.tree.map(jnp.mean, critic_metrics)
    metrics["generator_loss"] = loss
    metrics["generator_grad_norm"] = optax.tree.norm(generator_grads)
    checked = {name: critic_metrics[name] for name in health_lib.NONFINITE_QUANTITIES[:3]}
    checked.update(generator_loss=loss, generator_grad_norm=metrics["generator_grad_norm"])
    if self.entropy_estimator is not None:
      metrics["entropy_estimate"] = checked["entropy_estimate"] = entropy
    if self.encoder is not None:
      metrics["reconstruction_error"] = reconstruction_error
    if labels is not None:  # out-of-range labels embed as NaN or garbage: halt as on a non-finite update
      checked = {"labels": jnp.where(jnp.all((labels >= 0) & (labels < self.num_classes)), 0.0, jnp.nan),
                 **checked}
    bad = health_lib.first_nonfinite(checked)
    health, accept = health_lib.update(state.health, bad, state.step, self.on_nonfinite)
    candidate = state.replace(step=state.step + 1, generator=generator, critic=critic, ema_params=ema,
                              estimator=estimator, objective_state=objective_state, encoder=encoder)
    new_state = jax.tree.map(lambda new, old: new if new is old else jnp.where(accept, new, old), candidate, state)
    if self.on_nonfinite == "skip":
      new_state = new_state.replace(step=state.step + 1)
    metrics["nonfinite"] = (~accept).astype(jnp.int32)
    return new_state.replace(health=health), metrics
