-- DictaMesh metadata catalog: the entities of the data mesh, how they relate, their schemas,
-- their events, their lineage and their cache state. Idempotent, and safe on a live server: what
-- exists is left alone without taking a lock, and what is missing is made without stopping writes
-- (indexes CONCURRENTLY, each run by \gexec outside a transaction). Run with a lock_timeout: a
-- statement that would queue behind a long transaction fails and is retried instead of stalling
-- every write behind it. Of uuid-ossp the schema uses uuid_generate_v4() alone.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS vector;
-- a new image brings a new pgvector library; its SQL objects follow only when told (pgvector's upgrade notes)
SELECT 'ALTER EXTENSION vector UPDATE' FROM pg_available_extensions
 WHERE name = 'vector' AND installed_version IS DISTINCT FROM default_version \gexec

-- The statements that make a missing index: an invalid one (a CONCURRENTLY build that failed) is dropped first.
CREATE FUNCTION pg_temp.missing_index(name text, definition text) RETURNS TABLE (step int, statement text)
LANGUAGE sql AS $$
    SELECT 1, format('DROP INDEX CONCURRENTLY %I', name)
      FROM pg_index WHERE indexrelid = to_regclass(name) AND NOT indisvalid
    UNION ALL
    SELECT 2, format('CREATE INDEX CONCURRENTLY %I %s', name, definition)
     WHERE to_regclass(name) IS NULL
        OR EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass(name) AND NOT indisvalid)
$$;

-- The statement that makes a missing row trigger calling dictamesh_touch_updated_at() before each update.
CREATE FUNCTION pg_temp.missing_touch_trigger(relation text) RETURNS TABLE (statement text) LANGUAGE sql AS $$
    SELECT format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION dictamesh_touch_updated_at()',
                  relation || '_touch', relation)
     WHERE NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = relation::regclass AND tgname = relation || '_touch')
$$;

CREATE OR REPLACE FUNCTION dictamesh_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Registered schemas of events and entities, versioned per subject as in a schema registry.
CREATE TABLE IF NOT EXISTS dictamesh_schemas (
    id             uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    subject        text NOT NULL CHECK (subject <> ''),
    version        integer NOT NULL CHECK (version > 0),
    format         text NOT NULL CHECK (format IN ('avro', 'protobuf', 'json')),
    definition     text NOT NULL,
    fingerprint    text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    compatibility  text NOT NULL DEFAULT 'BACKWARD' CHECK (compatibility IN (
                       'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE',
                       'FULL', 'FULL_TRANSITIVE', 'NONE')),
    registry_id    integer,
    metadata       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_schemas_subject_version_key UNIQUE (subject, version)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_schemas_fingerprint_idx', 'ON dictamesh_schemas (fingerprint)') ORDER BY step \gexec

-- Every data product entity any domain exposes, with a name to search and an embedding to compare.
CREATE TABLE IF NOT EXISTS dictamesh_entity_catalog (
    id                uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    entity_type       text NOT NULL CHECK (entity_type ~ '^[a-z][a-z0-9_]*$'),
    domain            text NOT NULL CHECK (domain ~ '^[a-z][a-z0-9_-]*$'),
    source_system     text NOT NULL CHECK (source_system <> ''),
    source_entity_id  text NOT NULL CHECK (source_entity_id <> ''),
    name              text NOT NULL CHECK (name <> ''),
    description       text,
    owner_team        text,
    schema_id         uuid REFERENCES dictamesh_schemas (id) ON DELETE SET NULL,
    api_url           text CHECK (api_url IS NULL OR api_url ~ '^https?://'),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated', 'retired')),
    tags              text[] NOT NULL DEFAULT '{}',
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    embedding         vector(384),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_entity_catalog_source_key UNIQUE (source_system, entity_type, source_entity_id)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_domain_idx', 'ON dictamesh_entity_catalog (domain, entity_type)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_source_system_idx', 'ON dictamesh_entity_catalog (source_system)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_name_trgm_idx', 'ON dictamesh_entity_catalog USING gin (name gin_trgm_ops)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_description_trgm_idx', 'ON dictamesh_entity_catalog USING gin (description gin_trgm_ops)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_metadata_idx', 'ON dictamesh_entity_catalog USING gin (metadata jsonb_path_ops)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_tags_idx', 'ON dictamesh_entity_catalog USING gin (tags)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_catalog_embedding_idx', 'ON dictamesh_entity_catalog USING hnsw (embedding vector_cosine_ops)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_touch_trigger('dictamesh_entity_catalog') \gexec

-- Typed edges between entities (an order belongs to a customer).
CREATE TABLE IF NOT EXISTS dictamesh_entity_relationships (
    id                 uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    source_entity_id   uuid NOT NULL REFERENCES dictamesh_entity_catalog (id) ON DELETE CASCADE,
    target_entity_id   uuid NOT NULL REFERENCES dictamesh_entity_catalog (id) ON DELETE CASCADE,
    relationship_type  text NOT NULL CHECK (relationship_type ~ '^[a-z][a-z0-9_]*$'),
    cardinality        text NOT NULL CHECK (cardinality IN ('one_to_one', 'one_to_many', 'many_to_one', 'many_to_many')),
    metadata           jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_entity_relationships_not_self CHECK (source_entity_id <> target_entity_id),
    CONSTRAINT dictamesh_entity_relationships_edge_key UNIQUE (source_entity_id, target_entity_id, relationship_type)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_entity_relationships_target_idx', 'ON dictamesh_entity_relationships (target_entity_id)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_touch_trigger('dictamesh_entity_relationships') \gexec

-- Append-only record of domain events seen on the bus; kept when its entity goes.
CREATE TABLE IF NOT EXISTS dictamesh_event_log (
    id            uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    event_id      uuid NOT NULL,
    entity_id     uuid REFERENCES dictamesh_entity_catalog (id) ON DELETE SET NULL,
    event_type    text NOT NULL CHECK (event_type <> ''),
    topic         text NOT NULL,
    partition     integer NOT NULL CHECK (partition >= 0),
    kafka_offset  bigint NOT NULL CHECK (kafka_offset >= 0),
    schema_id     uuid REFERENCES dictamesh_schemas (id) ON DELETE SET NULL,
    payload       jsonb NOT NULL,
    trace_id      text CHECK (trace_id IS NULL OR trace_id ~ '^[0-9a-f]{32}$'),
    occurred_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_event_log_event_key UNIQUE (event_id),
    CONSTRAINT dictamesh_event_log_position_key UNIQUE (topic, partition, kafka_offset)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_event_log_entity_time_idx', 'ON dictamesh_event_log (entity_id, occurred_at DESC)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_event_log_type_time_idx', 'ON dictamesh_event_log (event_type, occurred_at DESC)') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_index('dictamesh_event_log_time_brin_idx', 'ON dictamesh_event_log USING brin (occurred_at)') ORDER BY step \gexec

-- Which entity feeds which, and how: walked downstream for impact, upstream for provenance.
CREATE TABLE IF NOT EXISTS dictamesh_data_lineage (
    id                    uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    upstream_entity_id    uuid NOT NULL REFERENCES dictamesh_entity_catalog (id) ON DELETE CASCADE,
    downstream_entity_id  uuid NOT NULL REFERENCES dictamesh_entity_catalog (id) ON DELETE CASCADE,
    transformation_type   text NOT NULL CHECK (transformation_type IN (
                              'copy', 'filter', 'aggregate', 'join', 'enrich', 'derive', 'ml_inference')),
    transformation        text,
    pipeline              text,
    metadata              jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    first_seen_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_data_lineage_not_self CHECK (upstream_entity_id <> downstream_entity_id),
    CONSTRAINT dictamesh_data_lineage_seen_order CHECK (last_seen_at >= first_seen_at),
    CONSTRAINT dictamesh_data_lineage_edge_key
        UNIQUE (upstream_entity_id, downstream_entity_id, transformation_type)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_data_lineage_downstream_idx', 'ON dictamesh_data_lineage (downstream_entity_id)') ORDER BY step \gexec

-- Freshness of each cache layer's copy of an entity.
CREATE TABLE IF NOT EXISTS dictamesh_cache_status (
    id              uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
    entity_id       uuid NOT NULL REFERENCES dictamesh_entity_catalog (id) ON DELETE CASCADE,
    cache_layer     text NOT NULL CHECK (cache_layer IN ('l1', 'l2', 'l3')),
    cache_key       text NOT NULL CHECK (cache_key <> ''),
    status          text NOT NULL CHECK (status IN ('fresh', 'stale', 'invalidated')),
    hit_count       bigint NOT NULL DEFAULT 0 CHECK (hit_count >= 0),
    miss_count      bigint NOT NULL DEFAULT 0 CHECK (miss_count >= 0),
    refreshed_at    timestamptz,
    expires_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dictamesh_cache_status_expiry CHECK (expires_at IS NULL OR refreshed_at IS NULL OR expires_at > refreshed_at),
    CONSTRAINT dictamesh_cache_status_entity_layer_key UNIQUE (entity_id, cache_layer),
    CONSTRAINT dictamesh_cache_status_key UNIQUE (cache_layer, cache_key)
);
SELECT statement FROM pg_temp.missing_index('dictamesh_cache_status_expiring_idx', 'ON dictamesh_cache_status (expires_at) WHERE status = ''fresh''') ORDER BY step \gexec
SELECT statement FROM pg_temp.missing_touch_trigger('dictamesh_cache_status') \gexec
