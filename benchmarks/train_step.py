"""A WGAN-GP train step in jaxgan against the same step in PyTorch eager, in one process.

    python -m benchmarks.train_step --quick     # < 1 minute on 2 CPU cores (CI runs this)
    python -m benchmarks.train_step             # DCGAN 32x32x3, batch 64
    python -m benchmarks.train_step --batch 256 # a batch that fills a GPU better

Both sides use the same DCGAN generator and critic (same layer shapes), the
same batch, Adam(1e-4, 0.5, 0.9) and the WGAN-GP loss (lambda = 10):

* `critic_step`: one critic update with the gradient penalty (fake batch given);
* `train_step`: `n_critic = 5` critic updates and one generator update.

jaxgan's steps are jitted (compile time reported separately); PyTorch runs
eagerly, on CUDA when JAX runs on a GPU (TF32 and cuDNN autotuning on, as XLA
does; each timed call ends with `torch.cuda.synchronize()`). `torch.compile` is
also tried on the critic step and its error is recorded: AOTAutograd refuses the double backward a gradient penalty needs.
Without torch (the optional `bench` extra) the comparison is skipped with a
message. Writes JSON to `--out` (default `benchmarks/results/train_step.json`).
"""

from __future__ import annotations

import statistics
import time

import jax
import optax

import jaxgan as jg
from benchmarks import report as report_lib
from benchmarks.penalty_cost import critic_step as jax_critic_step

TARGET_TORCH_RATIO = 0.8
N_CRITIC = 5
GP_WEIGHT = 10.0


def interleaved_medians(callables: dict, repeats: int) -> dict:
  """Median seconds of each callable, timed in interleaved rounds so machine noise hits all alike."""
  times = {name: [] for name in callables}
  for _ in range(repeats):
    for name, fn in callables.items():
      start = time.perf_counter()
      fn()
      times[name].append(time.perf_counter() - start)
  return {name: statistics.median(t) for name, t in times.items()}


def jax_side(sizes: dict) -> tuple[dict, dict]:
  """jaxgan's compiled critic step and train step (as zero-argument callables) and their compile times."""
  batch, latent = sizes["batch"], sizes["latent"]
  generator = jg.models.DCGANGenerator(features=sizes["generator"], layer_norm=False)
  critic = jg.models.DCGANCritic(features=sizes["critic"])
  real = jax.random.normal(jax.random.key(1), (N_CRITIC, batch, 32, 32, 3))
  fake = jax.random.normal(jax.random.key(2), (batch, 32, 32, 3))
  c_params, _ = jg.models.init_linen(critic, jax.random.key(4), real[0])

  step, tx = jax_critic_step(critic, jg.penalties.DEFAULT_METHOD)
  own = {"params": c_params}
  args = (own, tx.init(own), real[0], fake, jax.random.key(5))
  start = time.perf_counter()
  compiled_critic = step.lower(*args).compile()
  critic_compile = time.perf_counter() - start
  jax.block_until_ready(compiled_critic(*args))

  gan = jg.train.GAN(generator=generator, critic=critic, objective="wgan",
                     penalty=jg.penalties.get("wgan_gp", weight=GP_WEIGHT), latent_dim=latent, n_critic=N_CRITIC,
                     generator_optimizer=jg.train.default_optimizer(1e-4),
                     critic_optimizer=jg.train.default_optimizer(1e-4))
  state = gan.init(jax.random.key(6), real[0])
  train_step = gan.step
  start = time.perf_counter()
  compiled_train = train_step.lower(state, real).compile()
  train_compile = time.perf_counter() - start
  holder = {"state": state}  # the step donates its state

  def run_train():
    holder["state"], metrics = compiled_train(holder["state"], real)
    jax.block_until_ready(metrics)

  run_train()
  steps = {"critic_step": lambda: jax.block_until_ready(compiled_critic(*args)), "train_step": run_train}
  return steps, {"critic_step_compile_seconds": critic_compile, "train_step_compile_seconds": train_compile}


def torch_side(sizes: dict) -> tuple[dict, dict]:
  """The same steps in PyTorch eager as callables, and facts (or why it was skipped)."""
  try:
    import torch
    from torch import nn

    device, synchronize, facts = report_lib.torch_device()
  except ImportError:
    return {}, {"skipped": "torch is not installed: pip install -e '.[bench]' to compare against PyTorch"}
  torch.manual_seed(0)
  batch, latent = sizes["batch"], sizes["latent"]
  gf, cf = sizes["generator"], sizes["critic"]

  g_layers = [nn.Linear(latent, 4 * 4 * gf[0]), nn.Unflatten(1, (gf[0], 4, 4))]
  for a, b in zip(gf, (*gf[1:], 3)):
    g_layers += [nn.ReLU(), nn.ConvTranspose2d(a, b, 4, 2, 1)]
  generator = nn.Sequential(*g_layers, nn.Tanh())
  c_layers, channels = [], 3
  for width in cf:
    c_layers += [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    channels = width
  critic = nn.Sequential(*c_layers, nn.Flatten(), nn.Linear(channels * 4 * 4, 1))
  generator, critic = generator.to(device), critic.to(device)
  g_opt = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
  c_opt = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
  real = torch.randn(N_CRITIC, batch, 3, 32, 32, device=device)
  fake = torch.randn(batch, 3, 32, 32, device=device)

  def critic_update(real, fake):
    alpha = torch.rand(batch, 1, 1, 1, device=device)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = GP_WEIGHT * ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + penalty
    c_opt.zero_grad(set_to_none=True)
    loss.backward()
    c_opt.step()
    return loss

  def train_step():
    for i in range(N_CRITIC):
      with torch.no_grad():
        fake_i = generator(torch.randn(batch, latent, device=device))
      critic_update(real[i], fake_i)
    loss = -critic(generator(torch.randn(batch, latent, device=device))).mean()
    g_opt.zero_grad(set_to_none=True)
    loss.backward()
    g_opt.step()

  critic_update(real[0], fake)
  train_step()
  compile_error = None
  try:
    compiled = torch.compile(critic_update, backend="aot_eager", fullgraph=False)
    compiled(real[0], fake)
  except Exception as e:  # noqa: BLE001 - the error text is the measurement
    compile_error = f"{type(e).__name__}: {str(e).strip().splitlines()[0][:300]}"
  steps = {"critic_step": lambda: (critic_update(real[0], fake), synchronize()),
           "train_step": lambda: (train_step(), synchronize())}
  return steps, {**facts, "torch_compile_error": compile_error}


def main(argv=None):
  parser = report_lib.argument_parser(__doc__, name="train_step",
                                      quick_help="small models and batch, few repeats (CI)",
                                      repeats_help="timed rounds (default 3 quick / 10, x10 on a GPU)")
  parser.add_argument("--batch", type=int, default=64, help="batch size of the full mode")
  args = parser.parse_args(argv)
  if args.quick:
    sizes = dict(batch=16, latent=64, generator=(64, 32, 16), critic=(16, 32, 64))
  else:
    if args.batch < 1:
      parser.error(f"--batch must be >= 1, got {args.batch}")
    sizes = dict(batch=args.batch, latent=128, generator=(256, 128, 64), critic=(64, 128, 256))
  repeats = report_lib.repeats(args.repeats, 3 if args.quick else 10)
  jax_steps, jax_row = jax_side(sizes)
  torch_steps, torch_row = torch_side(sizes)
  medians = interleaved_medians({**{f"jaxgan/{k}": v for k, v in jax_steps.items()},
                                 **{f"pytorch/{k}": v for k, v in torch_steps.items()}}, repeats)
  for name, seconds in medians.items():
    side, step = name.split("/")
    (jax_row if side == "jaxgan" else torch_row)[f"{step}_seconds"] = seconds
  ratios = None
  if "skipped" not in torch_row:
    ratios = {k: jax_row[k] / torch_row[k] for k in ("critic_step_seconds", "train_step_seconds")}
  report = {
      **report_lib.run_facts("train_step", args.quick),
      "optax": optax.__version__,
      "sizes": sizes,
      "repeats": repeats,
      "target": f"jaxgan WGAN-GP critic step <= {TARGET_TORCH_RATIO}x PyTorch eager",
      "jaxgan": jax_row,
      "pytorch": torch_row,
      "jaxgan_over_pytorch": ratios,
  }
  report_lib.write(args.out, report)
  print(f"jaxgan: critic step {jax_row['critic_step_seconds'] * 1e3:.1f} ms (compile"
        f" {jax_row['critic_step_compile_seconds']:.1f} s), train step {jax_row['train_step_seconds'] * 1e3:.1f} ms"
        f" (compile {jax_row['train_step_compile_seconds']:.1f} s)")
  if ratios is None:
    print(f"PyTorch comparison skipped: {torch_row['skipped']}")
  else:
    print(f"PyTorch eager: critic step {torch_row['critic_step_seconds'] * 1e3:.1f} ms, train step"
          f" {torch_row['train_step_seconds'] * 1e3:.1f} ms")
    print(f"jaxgan / PyTorch: critic step {ratios['critic_step_seconds']:.2f} (target <= {TARGET_TORCH_RATIO}),"
          f" train step {ratios['train_step_seconds']:.2f}")
    print(f"torch.compile on the critic step: {torch_row['torch_compile_error'] or 'compiled without error'}")
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
