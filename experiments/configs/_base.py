"""The train config's fields and defaults; the named configs change what they need.

Run-level fields sit at the top, the rest in sections:

- `data`: `name` (a `jg.data` 2-D distribution or an image dataset), `size`
  (offline image renderings), `batch_size`, `tfds_data_dir`, `toy_dataset_size`
  (2-D data: 0 draws fresh samples every step; n trains on a fixed set of n
  samples per run, reshuffled every epoch), `cluster_labels` (images held on
  device: 0 off; k: the training images' k-means clusters replace the class
  labels, with `model.num_classes = k`: a self-conditioned GAN,
  `jg.techniques.cluster_labels`) and `cluster_critic` (None: cluster the
  pixels; a work directory: cluster the last features of that
  unconditional run's critic, trained on the same images) with
  `cluster_critic_step` (that run's checkpoint; None: its newest when
  training starts, then kept on resume), and `recluster_every` (0: the
  clusters are fixed; N: every N steps the images are re-clustered on this
  run's own critic features, numbered to agree with the previous clusters,
  `jg.techniques.recluster_labels`, as Liu et al. do; the labels are saved
  with each checkpoint, so a resume continues on them).
- `model`: `name` (`mlp` for 2-D data, `dcgan` or `resnet` for images),
  `hidden` (MLP widths; also the MEG statistics network), `image_features`,
  `latent_dim`, `spectral_norm`, `autoencoder_critic` (EBGAN/BEGAN/MAGAN
  energies), `compute_dtype`; `num_classes` (None: unconditional; C: a
  conditional GAN, labels the mode index on 2-D mixtures), `conditioning`
  of the critic (`projection`, `concat` or `auxiliary`: AC-GAN's class
  head), `conditional_norm` (class-
  conditional layer norm in the generator); `categorical_codes` (category
  counts) and `continuous_codes` (a count): InfoGAN codes appended to the
  latent, with `objective.entropy_estimator = "infogan"`; `minibatch`
  (None, `stddev` or `discrimination`: a minibatch layer in the MLP critic,
  real and fake then scored apart); `virtual_batch_norm` (0: off; N: the
  generator's norms are virtual batch norm against N fixed reference
  latents; MLP and DCGAN, unconditional); `packing` (PacGAN: the critic
  scores packs of m samples concatenated along the last axis; 1: off);
  for the MLPs: `generator_hidden` (the generator's widths; empty: `hidden`),
  `batch_norm` (batch norm in the generator's hidden layers, running
  averages when sampling), `maxout_pieces` (0: LeakyReLU critic; k >= 2:
  maxout hidden layers of k pieces) and `init_std` (dense kernels
  `N(0, init_std^2)`; None: Flax's default).
- `objective`: `name` (`jg.losses.available()`), `kwargs` (its hyperparameters;
  unset fields take the objective's defaults), `entropy_estimator` (MEG:
  `jg.losses.ENTROPY_ESTIMATORS`; InfoGAN: `infogan`) and `entropy_weight`; `feature_matching`
  (a weight on the critic's last features in the generator loss; 0: off);
  `auxiliary_classifier` (AC-GAN's class-loss weight, with
  `model.num_classes` and `model.conditioning = "auxiliary"`; 0: off);
  `geometric_regularizer` and `mode_regularizer` (the mode-regularised
  GAN's weights on ||x - G(E(x))||^2 and on the generator loss of G(E(x)),
  with an encoder E; Che et al. 2017; 0: off).
- `penalty`: `name` (`jg.penalties.available()` or None), `kwargs`,
  `interval` (lazy regularisation).
- `optim`: `n_critic`, the Adam learning rates and betas, `lr_schedule`
  (`constant`, `cosine` or `linear` decay to 0), `ema_decay` of the sampled generator,
  `historical_averaging` (a weight; 0: off; Salimans et al. 2016),
  `unroll_steps` (unrolled GAN, Metz et al. 2017; 0: off), `simultaneous`
  (both players updated from the same parameters, as ALI and PacGAN train;
  needs `n_critic` 1).
- `augment`: what the critic sees, for real and fake alike: `name` None,
  `instance_noise` (`initial_stddev` annealed linearly to 0 over
  `decay_steps`, default `steps`) or `diff_augment` (images; `policy`).
- `per_run`: with `num_runs = N`, N values of `generator_lr`, `critic_lr`,
  `ema_decay` or `penalty_weight` (a factor on the penalty), one per run;
  empty: every run takes the `optim` value (weight 1).
- `evals`: the evaluators (`modes` for 2-D data; `frechet`, `stacked_modes`
  and, for conditional runs, `class_agreement` for images), each with `every_steps` (0: at the end only) and `num_samples`.
"""

import ml_collections
from ml_collections import config_dict

import jaxgan as jg


def hyperparameter_fields(names, hyperparameters) -> ml_collections.ConfigDict:
  """One unset, typed field per keyword hyperparameter of the named objectives or penalties (the union)."""
  fields = {}
  for name in names:
    for key, default in hyperparameters(name).items():
      kind = type(default)
      if fields.setdefault(key, kind) is not kind:
        raise TypeError(f"Hyperparameter {key!r} has two types ({fields[key].__name__}, {kind.__name__}).")
  return ml_collections.ConfigDict({k: config_dict.placeholder(v) for k, v in sorted(fields.items())})


def evaluator(every_steps: int = 0, num_samples: int = 2500) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(every_steps=every_steps, num_samples=num_samples))


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.steps = 5000
  c.seed = 0
  c.num_runs = 1
  c.chunk_size = config_dict.placeholder(int)  # steps per dispatch; None: 100, or 1 for image models on CPU
  c.log_every = 100
  c.plot_every = 1000
  c.checkpoint_every = 500
  c.keep_checkpoints = 3
  c.on_nonfinite = "raise"
  c.shard_state = False  # split parameters and optimiser state over the devices (ZeRO/FSDP-style), one run
  c.data = ml_collections.ConfigDict(dict(name="ring8", size=10000, batch_size=256,
                                          tfds_data_dir=config_dict.placeholder(str),
                                          toy_dataset_size=0, cluster_labels=0,
                                          cluster_critic=config_dict.placeholder(str),
                                          cluster_critic_step=config_dict.placeholder(int), recluster_every=0))
  c.model = ml_collections.ConfigDict(dict(name="mlp", hidden=(128, 128, 128), image_features=64, latent_dim=2,
                                           spectral_norm=False, autoencoder_critic=False, compute_dtype="float32",
                                           num_classes=config_dict.placeholder(int), conditioning="projection",
                                           conditional_norm=False, categorical_codes=(), continuous_codes=0,
                                           minibatch=config_dict.placeholder(str), virtual_batch_norm=0,
                                           packing=1, generator_hidden=(), batch_norm=False, maxout_pieces=0,
                                           init_std=config_dict.placeholder(float)))
  c.objective = ml_collections.ConfigDict(dict(
      name="wgan", kwargs=hyperparameter_fields(jg.losses.available(), jg.losses.hyperparameters),
      entropy_estimator=config_dict.placeholder(str), entropy_weight=1.0, feature_matching=0.0,
      auxiliary_classifier=0.0, geometric_regularizer=0.0, mode_regularizer=0.0))
  c.penalty = ml_collections.ConfigDict(dict(
      name=config_dict.placeholder(str), kwargs=hyperparameter_fields(jg.penalties.available(),
                                                                      jg.penalties.hyperparameters),
      interval=1))
  c.penalty.name = "wgan_gp"
  c.optim = ml_collections.ConfigDict(dict(n_critic=5, generator_lr=1e-3, critic_lr=1e-3, b1=0.5, b2=0.9,
                                           lr_schedule="cosine", ema_decay=0.99, historical_averaging=0.0,
                                           unroll_steps=0, simultaneous=False))
  c.per_run = ml_collections.ConfigDict(dict(generator_lr=(), critic_lr=(), ema_decay=(), penalty_weight=()))
  c.augment = ml_collections.ConfigDict(dict(name=config_dict.placeholder(str), initial_stddev=0.1,
                                             decay_steps=config_dict.placeholder(int),
                                             policy=("color", "translation", "cutout")))
  c.evals = ml_collections.ConfigDict(dict(modes=evaluator()))
  return c


def image_config(dataset: str, *, model: str = "dcgan", features: int = 16, latent_dim: int = 64,
                 num_samples: int = 2000) -> ml_collections.ConfigDict:
  """`base_config` for an image dataset: its model, and the feature-based evaluation in place of modes."""
  c = base_config()
  c.data.name = dataset
  c.model.name, c.model.image_features, c.model.latent_dim = model, features, latent_dim
  c.evals = ml_collections.ConfigDict(dict(frechet=evaluator(num_samples=num_samples)))
  return c
