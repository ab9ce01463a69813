"""Non-saturating DCGAN with R1 on stacked shapes: the StackedMNIST protocol, 1000 modes.

Command: python -m experiments.train --config stacked_shapes_dcgan_r1
Runtime: about 10 minutes on 2 CPU cores. Reports modes covered (of 1000) and
KL to uniform over modes, from the in-project classifier.
"""

from experiments.configs._base import base_config


def get_config() -> dict:
  return {**base_config(), "dataset": "stacked_shapes", "model": "dcgan", "image_features": 16, "latent_dim": 64,
          "objective": "non_saturating", "penalty": "r1", "penalty_kwargs": {"gamma": 10.0}, "n_critic": 1,
          "batch_size": 64, "steps": 5000, "generator_lr": 2e-4, "critic_lr": 2e-4, "ema_decay": 0.999,
          "eval_samples": 10000, "log_every": 50, "plot_every": 1000, "checkpoint_every": 1000}
