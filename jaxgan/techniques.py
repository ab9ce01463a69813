"""GAN training techniques as pure, composable pieces.

Salimans et al. (2016) and after: a loss (`feature_matching`), critic layers
(`MinibatchDiscrimination`, `MinibatchStdDev`, `VirtualBatchNorm`), an optax
transformation (`historical_averaging`) and transforms of the critic's inputs
(`instance_noise`, `diff_augment`, PacGAN's `pack`); AC-GAN's `auxiliary_classifier_loss`; the
self-conditioned GAN's pseudo-labels (`cluster_labels`, and `recluster_labels` during training).
One-sided label smoothing is a keyword of the logistic objectives: `jg.losses.get("non_saturating", label_smoothing=0.1)`.
Nothing here is jitted; jit the step that uses it.

>>> import jax, jax.numpy as jnp, optax, jaxgan as jg
>>> real, fake = jnp.ones((4, 3)), jnp.zeros((4, 3))
>>> float(jg.techniques.feature_matching(real, fake))          # ||mean f(x_r) - mean f(x_f)||^2
3.0
>>> layer = jg.techniques.MinibatchStdDev(group_size=2)
>>> layer.apply({}, jnp.zeros((4, 8, 8, 3))).shape              # one channel appended
(4, 8, 8, 4)
>>> images = jnp.zeros((2, 8, 8, 3))
>>> jg.techniques.diff_augment(jax.random.key(0), images).shape
(2, 8, 8, 3)
>>> tx = optax.chain(jg.techniques.historical_averaging(0.01), optax.sgd(0.1))
>>> schedule = jg.techniques.annealed_instance_noise(1.0, decay_steps=1000)
>>> float(schedule(250)), float(schedule(2000))                # sigma_0 max(0, 1 - t / T)
(0.75, 0.0)
"""

from jaxgan._src.techniques.auxiliary_classifier import auxiliary_classifier_loss
from jaxgan._src.techniques.cluster_labels import cluster_labels
from jaxgan._src.techniques.cluster_labels import recluster_labels
from jaxgan._src.techniques.diff_augment import POLICIES as DIFF_AUGMENT_POLICIES
from jaxgan._src.techniques.diff_augment import adjust_brightness
from jaxgan._src.techniques.diff_augment import adjust_contrast
from jaxgan._src.techniques.diff_augment import adjust_saturation
from jaxgan._src.techniques.diff_augment import cutout
from jaxgan._src.techniques.diff_augment import cutout_size
from jaxgan._src.techniques.diff_augment import diff_augment
from jaxgan._src.techniques.diff_augment import diff_augmentation
from jaxgan._src.techniques.diff_augment import diff_augment_params
from jaxgan._src.techniques.diff_augment import translate
from jaxgan._src.techniques.feature_matching import feature_matching
from jaxgan._src.techniques.historical_averaging import HistoricalAveragingState
from jaxgan._src.techniques.historical_averaging import historical_averaging
from jaxgan._src.techniques.instance_noise import annealed_instance_noise
from jaxgan._src.techniques.instance_noise import instance_noise
from jaxgan._src.techniques.instance_noise import instance_noise_augmentation
from jaxgan._src.techniques.minibatch_discrimination import MinibatchDiscrimination
from jaxgan._src.techniques.minibatch_stddev import MinibatchStdDev
from jaxgan._src.techniques.packing import pack
from jaxgan._src.techniques.virtual_batch_norm import VirtualBatchNorm

__all__ = [
    "DIFF_AUGMENT_POLICIES",
    "HistoricalAveragingState",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "VirtualBatchNorm",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "annealed_instance_noise",
    "auxiliary_classifier_loss",
    "cluster_labels",
    "cutout",
    "cutout_size",
    "diff_augment",
    "pack",
    "recluster_labels",
    "diff_augment_params",
    "diff_augmentation",
    "feature_matching",
    "historical_averaging",
    "instance_noise",
    "instance_noise_augmentation",
    "translate",
]
