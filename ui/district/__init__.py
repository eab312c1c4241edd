"""The district console (区级平台): the bureau staff's window on the hub's own services."""
