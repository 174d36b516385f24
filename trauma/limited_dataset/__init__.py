"""Model 3 (Limited Dataset): few caregivers, a fixed amount of experience."""
