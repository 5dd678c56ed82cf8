"""Cache: Redis 7, the L2 cache of DictaMesh, with ACL users and an exporter."""

import pulumi

from components.cache import alerts, files, images
from components.cache.settings import CacheSettings
from components.exporter import metrics_exporter
from components.model import CA_FILE, SECRETS_DIR, TLS_CA, Port, Probe, Runtime, Telemetry, Volume, Workload
from components.runtime.kubernetes.tls_reload import reload_job, tls_reload
from components.secrets import generated_password

REDIS_USER = images.REDIS.runs_as
EXPORTER_USER = images.EXPORTER.runs_as
CONFIG_FILE = "/etc/redis/redis.conf"


class Cache(pulumi.ComponentResource):
    host: str
    port: int
    host_address: str | None
    url: pulumi.Output[str]
    telemetry: Telemetry

    def __init__(
        self, name: str, args: CacheSettings, runtime: Runtime, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dictamesh:cache:Cache", name, None, opts)
        tls = runtime.encrypts
        app_password = generated_password(f"{name}-app-password", self)
        monitor_password = generated_password(f"{name}-monitor-password", self)
        reload_password = generated_password(f"{name}-tls-reload-password", self) if tls else None
        acl = pulumi.Output.all(app_password, monitor_password, reload_password).apply(lambda pw: files.users_acl(*pw))
        acl_file = f"{SECRETS_DIR}/users.acl"
        monitor_file = f"{SECRETS_DIR}/monitor-password"
        port = Port("redis", 6379, host_port=args.host_port)
        ping = f"{files.cli(files.MONITOR_USER, monitor_file, TLS_CA if tls else None)} ping | grep -q PONG"
        server = Workload(
            name="redis",
            component="cache",
            image=args.image,
            run_as=REDIS_USER,
            resources=args.resources,
            args=["redis-server", CONFIG_FILE],
            files={CONFIG_FILE: files.redis_conf(args, acl_file, tls)},
            secrets={acl_file: acl, monitor_file: monitor_password},
            ports=[port],
            volumes={"data": Volume("/data", args.storage)},
            # loading a large RDB or AOF happens before Redis answers: room for that on every restart
            probe=Probe(command=["sh", "-c", ping], startup_seconds=600),
            clients=["redis-exporter", *([reload_job("redis")] if tls else []), *args.clients],
            tls_server=tls,
        )
        ready = runtime.deploy(server, self)
        self.host = runtime.address(server.name)
        self.port = port.port
        self.host_address = runtime.published(port)

        scheme = "rediss" if tls else "redis"
        exporter_target = f"{scheme}://{self.host}:{port.port}"
        password_file = f"{SECRETS_DIR}/redis-passwords.json"
        runtime.deploy(
            metrics_exporter(
                "redis-exporter",
                image=args.exporter_image,
                resources=args.exporter_resources,
                run_as=EXPORTER_USER,
                port=alerts.EXPORTER_PORT,
                health_path="/health",
                env=files.exporter_env(exporter_target, password_file, CA_FILE if tls else None),
                secrets={
                    password_file: monitor_password.apply(lambda pw: files.exporter_passwords(exporter_target, pw))
                },
                tls_trust="redis" if tls else None,
            ),
            self,
            depends_on=ready,
        )
        if reload_password is not None:
            reload_file = f"{SECRETS_DIR}/tls-reload-password"
            runtime.deploy(
                tls_reload(
                    "redis",
                    image=args.image,
                    run_as=REDIS_USER,
                    command=["sh", "-c", files.reload_script(self.host, reload_file, CA_FILE)],
                    env={},
                    secrets={reload_file: reload_password},
                ),
                self,
                depends_on=ready,
            )
        self.telemetry = alerts.TELEMETRY
        self.url = pulumi.Output.secret(
            pulumi.Output.format("{0}://{1}:{2}@{3}:{4}/0", scheme, files.APP_USER, app_password, self.host, port.port)
        )
        self.register_outputs({"host": self.host, "port": self.port, "url": self.url})
