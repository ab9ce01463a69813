"""The published Dirac-GAN dynamics: 2,000 gradient steps of size 0.1 from (1, 1) for every setting.

Command: python -m experiments.dirac_gan
Runtime: about 15 seconds on 2 CPU cores.
Result: the README's Dirac-GAN table; only non_saturating + r1 and non_saturating + consensus converge to (0, 0),
under simultaneous and alternating steps.

Fields: `steps` (gradient steps) and `learning_rate` (their size).
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.steps = 2000
  c.learning_rate = 0.1
  return c
