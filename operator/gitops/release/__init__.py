"""The Release controller: pure model and plan (model, plan), adapters (observe, act, builders)."""
