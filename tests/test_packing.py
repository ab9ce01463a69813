"""PacGAN packing: the layout of packed samples, and the train step on packs against a closed form."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg


def test_pack_concatenates_each_group_of_m_samples_along_the_last_axis():
  images = np.asarray(jax.random.normal(jax.random.key(0), (6, 2, 2, 3)))
  packed = np.asarray(jg.techniques.pack(images, 3))
  assert packed.shape == (2, 2, 2, 9)
  for i in range(2):
    for j in range(3):
      np.testing.assert_array_equal(packed[i, ..., 3 * j:3 * j + 3], images[3 * i + j])
  points = np.arange(12.0).reshape(6, 2)
  np.testing.assert_array_equal(jg.techniques.pack(points, 2), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
  np.testing.assert_array_equal(jg.techniques.pack(points, 1), points)
  with pytest.raises(ValueError, match="multiple of `packing`"):
    jg.techniques.pack(points, 4)
  with pytest.raises(ValueError, match="packing"):
    jg.techniques.pack(points, 0)


def test_packed_step_is_the_closed_form_on_packs_of_real_and_of_fake_samples():
  """WGAN + R1 with a linear critic on packs, a constant generator G(z) = b and SGD: one step by hand.

  Critic on packs p = [x_1, ..., x_m]: D(p) = p . w + c. Critic loss: mean D(fake packs) - mean D(real packs)
  + gamma/2 ||w||^2 (R1: the input gradient of a linear critic is w); generator loss: -mean D(fake packs).
  """
  m, d, batch, lr, gamma = 3, 2, 12, 0.1, 0.5
  w0, c0, b0 = np.array([0.3, -0.2, 0.5, 0.1, -0.4, 0.25]), 0.7, np.array([0.2, -0.1])
  critic = jg.train.Player(lambda key, x: ({"w": jnp.asarray(w0, jnp.float32)[:x.shape[1]], "c": jnp.float32(c0)}, {}),
                           lambda p, s, x: (x @ p["w"] + p["c"], s))
  generator = jg.train.Player(lambda key, z: ({"b": jnp.asarray(b0, jnp.float32)}, {}),
                              lambda p, s, z: (0.0 * z[:, :1] + p["b"], s))
  gan = jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, packing=m,
                     penalty=jg.penalties.get("r1", gamma=gamma), generator_optimizer=optax.sgd(lr),
                     critic_optimizer=optax.sgd(lr))
  state = gan.init(jax.random.key(0), jnp.zeros((1, d)))
  assert state.critic.params["w"].shape == (m * d,)  # built on a packed example
  real = np.asarray(jax.random.normal(jax.random.key(1), (batch, d)))
  state, metrics = gan.step(state, jnp.asarray(real, jnp.float32)[None])

  real_packs, fake_packs = real.reshape(batch // m, m * d), np.tile(b0, (batch // m, m))
  np.testing.assert_allclose(metrics["real_score"], np.mean(real_packs @ w0 + c0), rtol=1e-5)
  np.testing.assert_allclose(metrics["fake_score"], np.mean(fake_packs @ w0 + c0), rtol=1e-5)
  np.testing.assert_allclose(metrics["penalty"], gamma / 2 * w0 @ w0, rtol=1e-5)
  w1 = w0 - lr * (fake_packs.mean(0) - real_packs.mean(0) + gamma * w0)
  np.testing.assert_allclose(state.critic.params["w"], w1, rtol=1e-5, atol=1e-6)
  b1 = b0 + lr * w1.reshape(m, d).sum(0)  # d/db of -mean D(fake packs): every slot of a pack holds G(z) = b
  np.testing.assert_allclose(state.generator.params["b"], b1, rtol=1e-5, atol=1e-6)
  with pytest.raises(ValueError, match="multiple of `packing`"):
    gan.step(state, jnp.zeros((1, 10, d)))
  with pytest.raises(ValueError, match="conditional GAN"):
    jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, packing=2, num_classes=3)
