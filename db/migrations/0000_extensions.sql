-- pgvector must exist before any table uses the vector type. IF NOT EXISTS keeps this
-- harmless where an operator already created it (and on PGlite, where it is preloaded).
CREATE EXTENSION IF NOT EXISTS vector;
