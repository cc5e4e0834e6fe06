"""Test support shared by the suites: helpers, servers and fakes of what cannot run here."""
