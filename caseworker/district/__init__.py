"""The district hub: headless, same schema and services."""
