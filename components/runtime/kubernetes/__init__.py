"""The Kubernetes target: its settings (settings.py), what a stack owns in its namespace (namespace.py), the
runtime that deploys workloads there (runtime.py) and the TLS renewal jobs it adds (tls_reload.py).

Nothing is imported here: the settings are read by every stack, and pulumi_kubernetes, which the runtime
imports, takes about a second to load.
"""
