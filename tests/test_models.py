"""Image models: shapes, output range, per-sample independence (what makes every penalty method exact)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxgan as jg

GENERATORS = [
    (jg.models.DCGANGenerator(features=(32, 16, 8)), (32, 32, 3)),
    (jg.models.DCGANGenerator(features=(32, 16, 8, 8), channels=1), (64, 64, 1)),
    (jg.models.ResNetGenerator(features=16), (32, 32, 3)),
]
CRITICS = [
    jg.models.DCGANCritic(features=(8, 16, 32)),
    jg.models.DCGANCritic(features=(8, 16), layer_norm=True),
    jg.models.ResNetCritic(features=16),
]


@pytest.mark.parametrize("generator,shape", GENERATORS)
def test_generators_map_latents_to_images_in_range_and_per_sample(generator, shape):
  z = jax.random.normal(jax.random.key(0), (4, 16))
  params = generator.init(jax.random.key(1), z)
  x = generator.apply(params, z)
  assert x.shape == (4, *shape)
  assert float(jnp.max(jnp.abs(x))) <= 1.0
  # Sample 0's image does not depend on the rest of the batch (no batch statistics).
  np.testing.assert_allclose(generator.apply(params, z[:1])[0], x[0], atol=1e-5)


@pytest.mark.parametrize("critic", CRITICS)
def test_critics_score_each_sample_independently(critic):
  x = jax.random.normal(jax.random.key(0), (3, 32, 32, 3))
  params = critic.init(jax.random.key(1), x)
  scores = critic.apply(params, x)
  assert scores.shape == (3,)
  np.testing.assert_allclose(critic.apply(params, x[1:2])[0], scores[1], rtol=1e-5, atol=1e-5)
  # All penalty methods agree on it (they assume exactly this independence).
  fake = jax.random.normal(jax.random.key(2), x.shape)
  values = [jg.penalties.wgan_gp(lambda y: critic.apply(params, y), x, fake, jax.random.key(3), method=m)
            for m in jg.penalties.METHODS]
  np.testing.assert_allclose(values, values[0], rtol=1e-4)


def test_resnet_critic_matches_the_wgan_gp_cifar_size_and_spectral_norm_is_a_switch():
  x = jnp.zeros((1, 32, 32, 3))
  plain = jg.models.ResNetCritic().init(jax.random.key(0), x)
  sn = jg.models.ResNetCritic(spectral_norm=True).init(jax.random.key(0), x)
  count = sum(a.size for a in jax.tree.leaves(plain["params"]))
  assert 1.0e6 < count < 1.1e6  # Gulrajani et al.'s CIFAR-10 ResNet critic: ~1.06M parameters
  assert "batch_stats" in sn and "batch_stats" not in plain
  # Spectral norm divides each kernel by its top singular value: rescaling the input weight scale
  # of the first conv leaves an SN critic's score unchanged.
  scaled = jax.tree_util.tree_map_with_path(
      lambda path, a: a * 7.0 if "CriticBlock_0" in jax.tree_util.keystr(path) and "Conv_0" in
      jax.tree_util.keystr(path) and "kernel" in jax.tree_util.keystr(path) else a, sn["params"])
  y = jax.random.normal(jax.random.key(1), (2, 32, 32, 3))
  critic = jg.models.ResNetCritic(spectral_norm=True)
  a = critic.apply({**sn}, y)
  b = critic.apply({**sn, "params": scaled}, y)
  np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_autoencoder_critic_energy_is_the_per_sample_reconstruction_error():
  critic = jg.models.MLPAutoencoderCritic(hidden=(8, 4), bottleneck=2)
  x = np.asarray(jax.random.normal(jax.random.key(0), (5, 3)), np.float64)
  params = critic.init(jax.random.key(1), x)["params"]
  h = x
  layers = [params[f"Dense_{i}"] for i in range(len(params))]
  for i, layer in enumerate(layers):
    h = h @ np.asarray(layer["kernel"], np.float64) + np.asarray(layer["bias"], np.float64)
    if i < len(layers) - 1:
      h = np.where(h > 0, h, 0.2 * h)
  expected = np.mean((h - x) ** 2, axis=1)
  np.testing.assert_allclose(critic.apply({"params": params}, x.astype(np.float32)), expected, rtol=1e-4)
  assert len(layers) == 6  # 8, 4, 2 | 4, 8, 3


def test_conv_autoencoder_critic_energy_is_reconstruction_error_and_encoder_shape():
  x = jax.random.uniform(jax.random.key(0), (3, 32, 32, 3), minval=-1, maxval=1)
  critic = jg.models.DCGANAutoencoderCritic(features=(8, 16, 32), bottleneck=4)
  variables = critic.init(jax.random.key(1), x)
  energies = critic.apply(variables, x)
  assert energies.shape == (3,) and bool(jnp.all(energies >= 0))
  # Recompute from the submodules: encoder -> code -> decoder, then the per-sample MSE.
  params = variables["params"]["DCGANAutoencoder_0"]
  code = jg.models.DCGANEncoder(4, (8, 16, 32)).apply({"params": params["DCGANEncoder_0"]}, x)
  recon = jg.models.DCGANGenerator(features=(32, 16, 8), channels=3, layer_norm=False).apply(
      {"params": params["DCGANGenerator_0"]}, code)
  np.testing.assert_allclose(energies, jnp.mean((recon - x) ** 2, axis=(1, 2, 3)), rtol=1e-5)
  with pytest.raises(ValueError, match="features"):
    jg.models.DCGANAutoencoderCritic(features=(8, 16)).init(jax.random.key(1), x)


@pytest.mark.parametrize("module,example", [
    (jg.models.ResNetCritic(features=8, dtype=jnp.bfloat16), jnp.ones((2, 32, 32, 3))),
    (jg.models.DCGANCritic(features=(8, 16, 32), dtype=jnp.bfloat16), jnp.ones((2, 32, 32, 3))),
    (jg.models.ResNetGenerator(features=8, dtype=jnp.bfloat16), jnp.ones((2, 16))),
    (jg.models.DCGANGenerator(features=(32, 16, 8), dtype=jnp.bfloat16), jnp.ones((2, 16))),
])
def test_bf16_image_models_keep_float32_params_and_outputs_close_to_float32(module, example):
  variables = module.init(jax.random.key(0), example)
  assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(variables))
  out = module.apply(variables, example)
  assert out.dtype == jnp.float32
  reference = module.clone(dtype=jnp.float32).apply(variables, example)
  np.testing.assert_allclose(out, reference, rtol=0.05, atol=0.05 * float(jnp.max(jnp.abs(reference))))
