"""The login in front of the exposed UIs that have none of their own: oauth2-proxy, one per UI."""
