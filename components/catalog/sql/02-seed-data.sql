-- Sample catalog that touches every table; fixed keys make it idempotent.

-- A 384-dimension embedding with ones at the given positions: near neighbours share positions.
CREATE OR REPLACE FUNCTION pg_temp.seed_embedding(VARIADIC hot integer[]) RETURNS vector
LANGUAGE sql IMMUTABLE AS $$
    SELECT ('[' || string_agg(CASE WHEN g = ANY (hot) THEN '1' ELSE '0' END, ',' ORDER BY g) || ']')::vector
    FROM generate_series(1, 384) AS g
$$;

INSERT INTO dictamesh_schemas (id, subject, version, format, definition, fingerprint, compatibility, registry_id)
SELECT id::uuid, subject, version, format, definition, encode(sha256(convert_to(definition, 'UTF8')), 'hex'), 'BACKWARD', registry_id
FROM (VALUES
    ('5c1a0000-0000-4000-8000-000000000001', 'customers.customer-value', 1, 'avro',
     '{"type":"record","name":"Customer","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"}]}', 1),
    ('5c1a0000-0000-4000-8000-000000000002', 'orders.order-value', 1, 'avro',
     '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"customer_id","type":"string"}]}', 2),
    ('5c1a0000-0000-4000-8000-000000000003', 'orders.order-value', 2, 'avro',
     '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"customer_id","type":"string"},{"name":"total","type":["null","double"],"default":null}]}', 3)
) AS s (id, subject, version, format, definition, registry_id)
ON CONFLICT DO NOTHING;

INSERT INTO dictamesh_entity_catalog
    (id, entity_type, domain, source_system, source_entity_id, name, description, owner_team, schema_id, api_url, tags, metadata, embedding)
VALUES
    ('e0000000-0000-4000-8000-000000000001', 'customer', 'customers', 'crm', 'crm.customers',
     'Customer Profile', 'Master record of every customer and their contact details', 'team-customers',
     '5c1a0000-0000-4000-8000-000000000001', 'https://api.dictamesh.dev/customers/v1',
     '{pii,gold}', '{"sla": "99.9", "retention_days": 3650}', pg_temp.seed_embedding(1, 2, 3)),
    ('e0000000-0000-4000-8000-000000000002', 'order', 'orders', 'erp', 'erp.sales_orders',
     'Sales Order', 'Orders placed through every sales channel', 'team-orders',
     '5c1a0000-0000-4000-8000-000000000003', 'https://api.dictamesh.dev/orders/v2',
     '{gold}', '{"sla": "99.5"}', pg_temp.seed_embedding(10, 11, 12)),
    ('e0000000-0000-4000-8000-000000000003', 'order_line', 'orders', 'erp', 'erp.sales_order_lines',
     'Sales Order Line', 'One product line of a sales order', 'team-orders',
     NULL, NULL, '{silver}', '{}', pg_temp.seed_embedding(10, 11, 13)),
    ('e0000000-0000-4000-8000-000000000004', 'product', 'catalog', 'pim', 'pim.products',
     'Product Catalog Item', 'Sellable products with prices and attributes', 'team-catalog',
     NULL, 'https://api.dictamesh.dev/products/v1', '{gold}', '{"sla": "99.0"}', pg_temp.seed_embedding(20, 21, 22)),
    ('e0000000-0000-4000-8000-000000000005', 'customer_segment', 'analytics', 'warehouse', 'dw.customer_segments',
     'Customer Segment', 'Customers grouped by lifetime value and behaviour', 'team-analytics',
     NULL, NULL, '{derived}', '{"refresh": "daily"}', pg_temp.seed_embedding(1, 2, 30))
ON CONFLICT DO NOTHING;

INSERT INTO dictamesh_entity_relationships (id, source_entity_id, target_entity_id, relationship_type, cardinality)
VALUES
    ('a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000002',
     'e0000000-0000-4000-8000-000000000001', 'placed_by', 'many_to_one'),
    ('a0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002',
     'e0000000-0000-4000-8000-000000000003', 'contains', 'one_to_many'),
    ('a0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000003',
     'e0000000-0000-4000-8000-000000000004', 'refers_to', 'many_to_one')
ON CONFLICT DO NOTHING;

INSERT INTO dictamesh_event_log
    (id, event_id, entity_id, event_type, topic, partition, kafka_offset, schema_id, payload, trace_id, occurred_at)
VALUES
    ('b0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
     'e0000000-0000-4000-8000-000000000001', 'customer.created', 'dictamesh.entity-events', 0, 0,
     '5c1a0000-0000-4000-8000-000000000001', '{"id": "C-1001", "email": "ada@example.com"}',
     '4bf92f3577b34da6a3ce929d0e0e4736', '2026-01-05T09:00:00Z'),
    ('b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002',
     'e0000000-0000-4000-8000-000000000002', 'order.placed', 'dictamesh.entity-events', 1, 0,
     '5c1a0000-0000-4000-8000-000000000003', '{"id": "O-5001", "customer_id": "C-1001", "total": 42.5}',
     '0af7651916cd43dd8448eb211c80319c', '2026-01-05T09:05:00Z'),
    ('b0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000003',
     'e0000000-0000-4000-8000-000000000002', 'order.shipped', 'dictamesh.entity-events', 1, 1,
     '5c1a0000-0000-4000-8000-000000000003', '{"id": "O-5001", "carrier": "dhl"}',
     NULL, '2026-01-06T14:30:00Z')
ON CONFLICT DO NOTHING;

INSERT INTO dictamesh_data_lineage
    (id, upstream_entity_id, downstream_entity_id, transformation_type, transformation, pipeline)
VALUES
    ('d0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001',
     'e0000000-0000-4000-8000-000000000005', 'enrich', 'join customers on id', 'segments-nightly'),
    ('d0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002',
     'e0000000-0000-4000-8000-000000000005', 'aggregate', 'sum(total) group by customer_id', 'segments-nightly'),
    ('d0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000003',
     'e0000000-0000-4000-8000-000000000002', 'aggregate', 'order totals from lines', 'orders-stream')
ON CONFLICT DO NOTHING;

INSERT INTO dictamesh_cache_status
    (id, entity_id, cache_layer, cache_key, status, hit_count, miss_count, refreshed_at, expires_at)
VALUES
    ('f0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'l2',
     'entity:customer:crm.customers', 'fresh', 1200, 35, '2026-01-06T00:00:00Z', '2026-01-06T01:00:00Z'),
    ('f0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002', 'l2',
     'entity:order:erp.sales_orders', 'stale', 310, 12, '2026-01-05T00:00:00Z', '2026-01-05T01:00:00Z'),
    ('f0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000001', 'l1',
     'entity:customer:crm.customers', 'invalidated', 80, 4, NULL, NULL)
ON CONFLICT DO NOTHING;
