// A suggestion filter's values are each looked up before the suggestion runs (graph/queries/matching.py:
// UNKNOWN_FILTER_VALUES): a cluster by id or name, a region by its id or name or by an organization's region,
// country or town. Without these indexes an unknown region was a scan of every organization (158 ms at
// 100,000), once per value of the request. With them each value is a few index seeks.

CREATE RANGE INDEX organization_region IF NOT EXISTS FOR (n:Organization) ON (n.region);
CREATE RANGE INDEX organization_city IF NOT EXISTS FOR (n:Organization) ON (n.city);
CREATE RANGE INDEX region_name IF NOT EXISTS FOR (n:Region) ON (n.name);
CREATE RANGE INDEX cluster_name IF NOT EXISTS FOR (n:Cluster) ON (n.name);
