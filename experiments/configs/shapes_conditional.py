"""A class-conditional DCGAN on the offline shapes: label c asks for shape `jg.data.SHAPE_CLASSES[c]`.

Projection critic (Miyato & Koyama 2018, Eq. 3) with spectral norm and the
hinge loss, generator input [z, embed(label)] with class-conditional layer
norms; otherwise shapes_dcgan_hinge_sn. Samples are drawn for label i % 10;
`evals.class_agreement` reports how often the in-project shape classifier
names the requested class (`class_agreement`, and `min_class_agreement` for
the worst class).

Command: python -m experiments.train --config shapes_conditional
"""

import ml_collections

from experiments.configs import shapes_dcgan_hinge_sn
from experiments.configs._base import evaluator


def get_config() -> ml_collections.ConfigDict:
  c = shapes_dcgan_hinge_sn.get_config()
  c.model.num_classes = 10
  c.evals.class_agreement = evaluator(num_samples=2000)
  return c
