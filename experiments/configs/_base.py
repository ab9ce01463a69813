"""Defaults shared by the 2-D configs."""


def base_config() -> dict:
  return dict(
      dataset="ring8",
      objective="wgan",
      objective_kwargs={},
      penalty="wgan_gp",
      penalty_kwargs={},
      penalty_interval=1,
      spectral_norm=False,
      compute_dtype="float32",
      entropy_estimator=None,
      entropy_weight=1.0,
      latent_dim=2,
      hidden=[128, 128, 128],
      batch_size=256,
      n_critic=5,
      steps=5000,
      generator_lr=1e-3,
      critic_lr=1e-3,
      adam_b1=0.5,
      adam_b2=0.9,
      lr_schedule="cosine",
      ema_decay=0.99,
      seed=0,
      on_nonfinite="raise",
      log_every=100,
      plot_every=1000,
      checkpoint_every=500,
      keep_checkpoints=3,
      eval_samples=2500,
  )
