"""The Release controller: typed state and a pure plan (state, spec, plan/), adapters around it."""
