-- Test-only stand-in for uuid-ossp's uuid_generate_v4(), built on the core gen_random_uuid().
CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS 'SELECT gen_random_uuid()';
