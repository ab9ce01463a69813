"""The mode-regularised GAN (Che et al. 2017): the encoder's and the generator's regulariser gradients in closed form."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxgan as jg


def linear_players():
  """G(z) = A z + b, E(x) = M x + m, D(x) = <w, x> + c as plain-function players."""
  def generator_init(key, z):
    return {"A": jax.random.normal(key, (2, 2)), "b": jax.random.normal(jax.random.fold_in(key, 1), (2,))}, {}

  def encoder_init(key, x):
    return {"M": jax.random.normal(key, (2, 2)), "m": jax.random.normal(jax.random.fold_in(key, 1), (2,))}, {}

  def critic_init(key, x):
    return {"w": jax.random.normal(key, (2,)), "c": jnp.zeros(())}, {}

  return (jg.train.Player(generator_init, lambda p, s, z: (z @ p["A"].T + p["b"], s)),
          jg.train.Player(encoder_init, lambda p, s, x: (x @ p["M"].T + p["m"], s)),
          jg.train.Player(critic_init, lambda p, s, x: (x @ p["w"] + p["c"], s)))


def mdgan(geometric, mode, lr=0.1):
  generator, encoder, critic = linear_players()
  regularised = dict(encoder=encoder, encoder_optimizer=optax.sgd(lr), geometric_regularizer=geometric,
                     mode_regularizer=mode) if geometric or mode else {}
  return jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2,
                      generator_optimizer=optax.sgd(lr), critic_optimizer=optax.sgd(lr), **regularised)


@pytest.mark.parametrize("geometric,mode", [(0.7, 0.0), (0.0, 0.3), (0.7, 0.3)])
def test_generator_and_encoder_descend_on_the_geometric_and_mode_regularisers(geometric, mode):
  """WGAN, SGD(lr). The adversarial term on G(z) is the plain step's (same keys, same critic update), so the
  generator moves by the plain step's update plus -lr * grad of

    l1 mean ||x - A h - b||^2 - l2 mean (<w', A h + b> + c'),  h = M x + m,

  and the encoder by -lr * its gradient in (M, m); w', c' the critic after its update."""
  lr = 0.1
  gan, plain = mdgan(geometric, mode, lr), mdgan(0.0, 0.0, lr)
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  real = jax.random.normal(jax.random.key(1), (1, 32, 2)) * 2
  A, b = (np.asarray(state.generator.params[k], np.float64) for k in ("A", "b"))
  M, m = (np.asarray(state.encoder.params[k], np.float64) for k in ("M", "m"))
  new, metrics = gan.step(jax.tree.map(jnp.copy, state), real)
  plain_new, _ = plain.step(plain.init(jax.random.key(0), jnp.zeros((1, 2))), real)
  w = np.asarray(new.critic.params["w"], np.float64)
  np.testing.assert_array_equal(new.critic.params["w"], plain_new.critic.params["w"])  # the critic is untouched

  x = np.asarray(real[0], np.float64)
  h = x @ M.T + m
  e = x - h @ A.T - b  # residuals x - G(E(x))
  grad_A = geometric * -2 * (e.T @ h) / len(x) - mode * np.outer(w, h.mean(0))
  grad_b = geometric * -2 * e.mean(0) - mode * w
  grad_M = geometric * -2 * A.T @ (e.T @ x) / len(x) - mode * np.outer(A.T @ w, x.mean(0))
  grad_m = geometric * -2 * A.T @ e.mean(0) - mode * A.T @ w
  np.testing.assert_allclose(new.generator.params["A"], plain_new.generator.params["A"] - lr * grad_A,
                             rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(new.generator.params["b"], plain_new.generator.params["b"] - lr * grad_b,
                             rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(new.encoder.params["M"], M - lr * grad_M, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(new.encoder.params["m"], m - lr * grad_m, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(metrics["reconstruction_error"], np.mean(np.sum(e ** 2, 1)), rtol=1e-5)


def test_mode_regularised_training_reconstructs_the_data_and_checkpoints_the_encoder(tmp_path):
  gan = jg.train.GAN(generator=jg.models.MLPGenerator(hidden=(32, 32)), critic=jg.models.MLPCritic(hidden=(32, 32)),
                     objective="non_saturating", penalty="r1", latent_dim=2,
                     encoder=jg.models.MLPGenerator(output_dim=2, hidden=(32, 32)), encoder_optimizer=optax.adam(1e-3),
                     geometric_regularizer=1.0, mode_regularizer=0.5, generator_optimizer=optax.adam(1e-3),
                     critic_optimizer=optax.adam(1e-3))
  state = gan.init(jax.random.key(0), jnp.zeros((1, 2)))
  data = jg.data.toy_stream(jg.data.get("ring8"), jax.random.key(1), batch_size=64)
  state, metrics = gan.run(state, data, 300)
  error = np.asarray(metrics["reconstruction_error"])
  assert error[-20:].mean() < 0.5 * error[:20].mean()
  checkpointer = jg.checkpoint.Checkpointer(str(tmp_path), save_every=1)
  checkpointer.save(300, state)
  checkpointer.wait()
  restored = checkpointer.restore(jax.eval_shape(lambda: state))
  checkpointer.close()
  chex.assert_trees_all_equal(restored.encoder, state.encoder)


def test_an_encoder_needs_a_weight_and_a_weight_needs_an_encoder():
  generator, encoder, critic = linear_players()
  with pytest.raises(ValueError, match="mode-regularised GAN"):
    jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, encoder=encoder)
  with pytest.raises(ValueError, match="mode-regularised GAN"):
    jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, mode_regularizer=1.0)
  with pytest.raises(ValueError, match="geometric_regularizer"):
    jg.train.GAN(generator=generator, critic=critic, objective="wgan", latent_dim=2, encoder=encoder,
                 geometric_regularizer=-1.0)
