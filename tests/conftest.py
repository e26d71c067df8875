"""Test-wide settings."""

import matplotlib
import torch

# Displays render off-screen in the tests.
matplotlib.use("Agg")

# The suite runs as two pytest-xdist workers on two cores: one torch thread per
# worker avoids oversubscription, which makes small-batch training many times slower.
torch.set_num_threads(1)
