"""Model 2, Noisy Signals: does label noise in one context make behaviour there unstable?"""
