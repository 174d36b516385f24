"""Model 1, Extreme Penalty: does one heavily penalised example over-generalise?"""

from .dataset import generate_dataset, make_seed_data
from .ensemble import train_grid
from .model import ExtremePenaltyModel, compute_loss

__all__ = ["ExtremePenaltyModel", "compute_loss", "generate_dataset", "make_seed_data", "train_grid"]
