"""Model 4 (Catastrophic Forgetting): therapy after trauma, as a second training phase."""
