"""InfoGAN on the ring of 8: an unsupervised 8-way code that learns to pick the mode (Chen et al. 2016).

The generator reads [z, c]: 2-D noise and a one-hot code c of 8 values; an MLP
Q(x) returns the code's logits and the generator and Q maximise InfoGAN's bound
H(c) + E log Q(c | G(z, c)) <= I(c; G(z, c)) (weight lambda = 1, Eq. 6) on top of
ring8_ns_r1's non-saturating loss with R1 (EMA 0.999). No labels are used:
`evals.modes` draws sample i with code value i % 8 and adds `code_purity` (of
the high-quality samples, the fraction on their code value's most frequent
mode) and `distinct_code_modes` (8 when every value owns its own mode).

Command: python -m experiments.train --config ring8_infogan
Runtime: 5 vmapped seeds (--config.num_runs=5) 162 s on the 2-core CPU.
Result (seeds 0-4, 2026-11-23): 8/8 modes, 99.4 +- 0.6% high quality, code
purity 1.000 +- 0, 8 distinct modes owned on every seed; with
--config.objective.entropy_weight=0: 92.3 +- 0.6%, purity 0.390 +- 0.067.
"""

import ml_collections

from experiments.configs import ring8_ns_r1


def get_config() -> ml_collections.ConfigDict:
  c = ring8_ns_r1.get_config()
  c.model.categorical_codes = (8,)
  c.objective.entropy_estimator, c.objective.entropy_weight = "infogan", 1.0
  c.optim.ema_decay = 0.999
  return c
