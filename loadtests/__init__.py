"""The generator: Locust users that chat with a stack the way the seeds' front end does."""
