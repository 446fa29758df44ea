"""Scenarios, the nemesis and the orchestrator: break each stack mid-generation under load."""
