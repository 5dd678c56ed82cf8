// The DictaMesh event bus in a namespace this program does not own: three Redpanda brokers in production mode with
// SASL, the Console and one topic. The SDK comes from `pulumi package add <the provider's folder>`, which writes sdks/dictamesh.
import * as pulumi from "@pulumi/pulumi";
import * as dictamesh from "@pulumi/dictamesh";

const config = new pulumi.Config();
const storageClass = config.get("storageClass") || undefined; // unset: the cluster's default class

const bus = new dictamesh.EventBus("event-bus", {
    target: { kubernetes: { namespace: config.require("namespace"), storageClass, tls: { enabled: false } } },
    brokers: 3,
    devContainer: false, // production mode: fsync on, a reactor per core
    sasl: true,
    storage: "20Gi",
    topics: [{ name: "orders.v1", partitions: 6, replicas: 3 }],
    clients: ["orders-api"],
});

export const bootstrapServers = bus.bootstrapServers;
export const schemaRegistryUrl = bus.schemaRegistryUrl;
export const saslUsername = bus.saslUsername;
export const saslPassword = bus.saslPassword;
