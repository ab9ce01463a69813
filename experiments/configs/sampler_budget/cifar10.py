"""The DCGAN CIFAR-10 comparison of Samsonov et al. (2022, Table 3): no sampler, MALA, i-SIR and Ex2MCMC at
1,000 steps on 10,000 samples of `cifar10_dcgan_hinge_sn`, scored by the Frechet distance of your features.

Command: python -m experiments.sampler_budget --config cifar10 --features my_inception:features
Needs the prepared TFDS `cifar10` and an image-feature function (e.g. Inception pool3) mapping images
(n, 32, 32, 3) in [-1, 1] to features (n, k); neither ships here, and it has not been run on this
project's machines.
"""

import os

import ml_collections

from experiments import cli


def get_config() -> ml_collections.ConfigDict:
  c = cli.load("full", os.path.dirname(__file__))
  c.setups = ("cifar10_dcgan",)
  return c
