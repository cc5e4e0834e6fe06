"""The MyFoodBudget GitOps operator: Release and GitSync controllers (`python -m gitops`)."""
