// Matching: a bulk `embed` writes its vectors beside the current ones (staged_<field>_* properties) and moves
// them in at the end; these indexes let each run find what a stopped run left staged without a label scan.

CREATE INDEX organization_staged_capability IF NOT EXISTS FOR (n:Organization) ON (n.staged_capability_hash);
CREATE INDEX organization_staged_needs IF NOT EXISTS FOR (n:Organization) ON (n.staged_needs_hash);
